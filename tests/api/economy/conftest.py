"""Fixtures of the economy API tests."""

import pytest

from economy.models import Purchase
from tests.api.economy.purchases_helpers import buy
from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory


@pytest.fixture
def listing(assistant):
    return ListingFactory(
        prompt=PromptFactory(author=assistant, body="secret body"), token_cost_cents=1250
    )


@pytest.fixture
def sold(other_client, listing, other_assistant):
    """``other_assistant`` bought ``listing`` (12.50) from ``assistant``."""
    r = buy(other_client, listing, other_assistant)
    assert r.status_code == 201, r.content
    return Purchase.objects.get(pk=r.json()["id"])
