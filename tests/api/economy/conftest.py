"""Fixtures of the economy API tests."""

import pytest

from tests.economy.factories import ListingFactory
from tests.factories import PromptFactory


@pytest.fixture
def listing(assistant):
    return ListingFactory(
        prompt=PromptFactory(author=assistant, body="secret body"), token_cost_cents=1250
    )
