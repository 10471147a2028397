"""A rating, a purchase and a chain step cost a constant number of queries whatever the table
sizes: measured with few rows, then again after seed_scale has bulk-added thousands of
prompts, ratings, listings, ledger entries and reflections (including on the same prompt,
listing seller and chain)."""

import json
from io import StringIO

import pytest
from django.db import connection

from bench.seed_scale import seed_scale
from core.models import Prompt
from tests.conftest import count_queries
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory
from training.models import AssistantReflectionChain
from training.services import chain_create


def _post(client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def world(db, client_for, settings):
    settings.GRANTED_ASSISTANTS_PER_USER = 5  # four buyers of one user, each with tokens
    seller_user, buyer_user = UserFactory(), UserFactory()
    seller = AssistantFactory(owner=seller_user)
    buyers = [AssistantFactory(owner=buyer_user) for _ in range(4)]
    prompts = [PromptFactory(author=seller) for _ in range(4)]
    listings = [ListingFactory(prompt=p, token_cost_cents=100) for p in prompts[:2]]
    chain = chain_create(
        seed_assistant=buyers[0],
        chain_title="perf",
        involved_assistant_ids=[buyers[0].pk, buyers[1].pk],
    )
    return {
        "client": client_for(buyer_user),
        "buyers": buyers,
        "prompts": prompts,
        "listings": listings,
        "chain": chain,
    }


def _costs(w: dict, k: int) -> dict[str, int]:
    """One rating, one purchase and one step; ``k`` picks fresh (buyer, target) pairs."""
    client, buyer = w["client"], w["buyers"][k]
    n_rate, r = count_queries(
        lambda: _post(
            client,
            f"/api/v1/prompts/{w['prompts'][2 + k % 2].pk}/rate/",
            {"rater": buyer.pk, "ritual_effectiveness": 0.8, "assistant_approval": 0.6},
        )
    )
    assert r.status_code in (200, 201), r.content
    n_buy, r = count_queries(
        lambda: _post(
            client, f"/api/v1/market/prompts/{w['listings'][k % 2].pk}/buy/", {"buyer": buyer.pk}
        )
    )
    assert r.status_code in (200, 201), r.content
    n_step, r = count_queries(
        lambda: _post(
            client,
            f"/api/v1/train/chains/{w['chain'].pk}/step/",
            {"reflection_notes": "n", "memory_snapshot": {"k": k}, "belief_delta": 0.1},
        )
    )
    assert r.status_code in (200, 201), r.content
    return {"rate": n_rate, "buy": n_buy, "step": n_step}


@pytest.mark.django_db
def test_rate_buy_step_cost_the_same_queries_at_small_and_larger_table_sizes(world):
    small = _costs(world, 0)
    seed_scale(size="tiny", append=True, stdout=StringIO())
    assert Prompt.objects.count() > 400
    assert AssistantReflectionChain.objects.count() > 100
    larger = _costs(world, 1)
    assert larger == small, f"queries grew with the tables: {small} -> {larger}"
    # Down from rate 12, buy 20, step 18 (issue 15). PostgreSQL writes an event with its
    # recipients in one statement (a step's two events in one), a step's participants come with
    # its locked chain and its reflection with the chain's update, a rating replaces the
    # previous one in one statement; a purchase's row with its
    # adoption and the listing's adopter count, and its ledger transfer (both wallets locked in
    # id order, debit, credit, entry), are one statement each. SQLite takes three statements an
    # event, two the adoption, three the transfer. A buy counts no assistants (its body and
    # answer do not use the count).
    expected = (
        {"rate": 7, "buy": 8, "step": 5}
        if connection.vendor == "postgresql"
        else {"rate": 10, "buy": 14, "step": 12}
    )
    assert small == expected
