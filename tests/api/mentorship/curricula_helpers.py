"""Helpers shared by the curriculum tests."""

from economy.models import Wallet

URL = "/api/v1/market/curriculum/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


def buy(client, curriculum, buyer, **headers):
    return client.post(f"{URL}{curriculum.pk}/buy/", {"buyer": buyer.pk}, format="json", **headers)


# Clone --------------------------------------------------------------------------------------


def clone(client, curriculum, assistant):
    return client.post(f"{URL}{curriculum.pk}/clone/", {"assistant": assistant.pk}, format="json")
