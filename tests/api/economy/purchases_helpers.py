"""Helpers shared by the purchase and refund tests."""

from core.models import Prompt, PromptVersion
from economy.models import Wallet

MARKET = "/api/v1/market/prompts/"
URL = "/api/v1/market/purchases/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


def buy(client, listing, buyer, **body):
    return client.post(f"{MARKET}{listing.pk}/buy/", {"buyer": buyer.pk, **body}, format="json")


def refund(client, purchase_id, headers=None, **body):
    return client.post(f"{URL}{purchase_id}/refund/", body, format="json", **(headers or {}))


def new_version(prompt, body):
    """The prompt's next version, as an edit makes it."""
    number = prompt.version + 1
    PromptVersion.objects.create(
        prompt=prompt, number=number, title=prompt.title, body=body, created_by=prompt.author
    )
    Prompt.objects.filter(pk=prompt.pk).update(version=number, body=body)
