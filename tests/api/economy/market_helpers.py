"""Helpers shared by the market tests."""

from economy.models import (
    Wallet,
)

URL = "/api/v1/market/prompts/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


def post(client, listing, act, **body):
    return client.post(f"{URL}{listing.id}/{act}/", body, format="json")
