"""/market/prompts/{id}/buy/, /inject/, and what a licence from the market allows (fork, rate)."""

from unittest import mock

import pytest

from core.models import Prompt, PromptLicence
from economy.models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    ListingAdoption,
    PromptInjection,
    PromptReputationScore,
)
from tests.api.economy.market_helpers import URL, balance, post
from tests.conftest import count_queries, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


# --- buy --------------------------------------------------------------------------------------


def test_buy_moves_tokens_and_licenses(other_client, listing, assistant, other_assistant):
    r = post(other_client, listing, "buy", buyer=other_assistant.id)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["price"] == "12.50"
    assert body["buyer_balance"] == "87.50"
    entry = LedgerEntry.objects.get(pk=body["ledger_entry"])
    assert entry.kind == "prompt_purchase"
    assert entry.payer.assistant == other_assistant
    assert entry.payee.assistant == assistant
    assert entry.amount_cents == 1250
    assert balance(other_assistant) == 8750
    assert balance(assistant) == 11250
    assert PromptLicence.objects.filter(assistant=other_assistant, prompt=listing.prompt).exists()
    listing.refresh_from_db()
    assert listing.adopter_count == 1
    detail = other_client.get(f"{URL}{listing.id}/").json()
    assert detail["prompt"]["body"] == "secret body"
    assert detail["swarm_adoption_score"] == pytest.approx(1 / 2)
    assert_ledger_invariants()


def test_buy_free_listing_licenses_without_ledger_entry(other_client, assistant, other_assistant):
    free = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=0)
    r = post(other_client, free, "buy", buyer=other_assistant.id)
    assert r.status_code == 201
    assert r.json()["ledger_entry"] is None
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 0
    assert PromptLicence.objects.filter(assistant=other_assistant).count() == 1


def test_buy_errors(
    anon_client, owner_client, other_client, listing, assistant, other_assistant, user
):
    assert post(anon_client, listing, "buy", buyer=other_assistant.id).status_code == 401
    r = post(owner_client, listing, "buy", buyer=other_assistant.id)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    r = post(owner_client, listing, "buy", buyer=AssistantFactory(owner=user).id)
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_buy_own"]
    assert post(other_client, listing, "buy").status_code == 400
    assert post(other_client, listing, "buy", buyer="x").status_code == 400
    assert (
        other_client.post(
            f"{URL}999999/buy/", {"buyer": other_assistant.id}, format="json"
        ).status_code
        == 404
    )
    assert post(other_client, listing, "buy", buyer=other_assistant.id).status_code == 201
    r = post(other_client, listing, "buy", buyer=other_assistant.id)
    assert r.status_code == 409
    assert error_codes(r) == ["already_owned"]
    assert balance(other_assistant) == 8750
    assert_ledger_invariants()


def test_buy_insufficient_funds_changes_nothing(other_client, assistant, other_assistant):
    pricey = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=10001)
    r = post(other_client, pricey, "buy", buyer=other_assistant.id)
    assert r.status_code == 409
    assert error_codes(r) == ["insufficient_funds"]
    assert balance(other_assistant) == 10000
    assert PromptLicence.objects.count() == 0
    assert ListingAdoption.objects.count() == 0
    pricey.refresh_from_db()
    assert pricey.adopter_count == 0


def test_buy_inactive_listing(owner_client, other_client, listing, other_assistant):
    post(owner_client, listing, "delist")
    r = post(other_client, listing, "buy", buyer=other_assistant.id)
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    assert balance(other_assistant) == 10000


def test_buy_costs_constant_queries(other_client, assistant, other_assistant):
    a = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    n_first, r = count_queries(lambda: post(other_client, a, "buy", buyer=other_assistant.id))
    assert r.status_code == 201
    for _ in range(10):
        AssistantFactory()
    b = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    n_second, r = count_queries(lambda: post(other_client, b, "buy", buyer=other_assistant.id))
    assert r.status_code == 201
    assert n_first == n_second <= 15  # 13 on PostgreSQL (was 20)


# --- inject / fork / rate -------------------------------------------------------------------


def test_inject_needs_licence_and_is_idempotent(other_client, listing, other_assistant):
    r = post(other_client, listing, "inject", assistant=other_assistant.id)
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    assert PromptInjection.objects.count() == 0
    LicenceFactory(assistant=other_assistant, prompt=listing.prompt)
    r = post(other_client, listing, "inject", assistant=other_assistant.id)
    assert r.status_code == 201, r.content
    tm = r.json()["trust_map"]
    assert (tm["resonance_score"], tm["symbolic_compliance"], tm["mutation_bias"]) == (
        0.5,
        0.5,
        0.5,
    )
    r = post(other_client, listing, "inject", assistant=other_assistant.id)
    assert r.status_code == 200
    assert r.json()["created"] is False
    assert PromptInjection.objects.count() == 1
    assert AssistantPromptTrustMap.objects.count() == 1
    listing.refresh_from_db()
    assert listing.adopter_count == 1


def test_buy_then_inject_counts_one_adopter(other_client, client_for, listing, other_assistant):
    post(other_client, listing, "buy", buyer=other_assistant.id)
    post(other_client, listing, "inject", assistant=other_assistant.id)
    listing.refresh_from_db()
    assert listing.adopter_count == 1
    third = AssistantFactory()
    post(client_for(third.owner), listing, "buy", buyer=third.id)
    listing.refresh_from_db()
    assert listing.adopter_count == 2
    assert ListingAdoption.objects.count() == 2


def test_author_may_inject_without_counting_as_adopter(owner_client, listing, assistant):
    r = post(owner_client, listing, "inject", assistant=assistant.id)
    assert r.status_code == 201
    listing.refresh_from_db()
    assert listing.adopter_count == 0


def test_inject_denials(anon_client, owner_client, listing, other_assistant):
    assert post(anon_client, listing, "inject", assistant=other_assistant.id).status_code == 401
    r = post(owner_client, listing, "inject", assistant=other_assistant.id)
    assert error_codes(r) == ["not_your_assistant"]
    assert post(owner_client, listing, "inject").status_code == 400


def test_fork_needs_licence_unless_free(other_client, listing, assistant, other_assistant):
    r = post(other_client, listing, "fork", assistant=other_assistant.id)
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    LicenceFactory(assistant=other_assistant, prompt=listing.prompt)
    r = post(other_client, listing, "fork", assistant=other_assistant.id, title="Mine")
    assert r.status_code == 201, r.content
    fork = Prompt.objects.get(pk=r.json()["id"])
    assert (fork.forked_from_id, fork.author, fork.title, fork.body) == (
        listing.prompt_id,
        other_assistant,
        "Mine",
        "secret body",
    )
    free = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=0)
    assert post(other_client, free, "fork", assistant=other_assistant.id).status_code == 201
    listing.prompt.refresh_from_db()
    assert listing.prompt.fork_count == 1


def test_market_rate_only_licence_holders(
    owner_client, other_client, listing, assistant, other_assistant
):
    body = {
        "rater": other_assistant.id,
        "ritual_effectiveness": 1,
        "assistant_approval": 0.5,
        "symbolic_tags": ["x"],
    }
    r = other_client.post(f"{URL}{listing.id}/rate/", body, format="json")
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    r = owner_client.post(
        f"{URL}{listing.id}/rate/", {**body, "rater": assistant.id}, format="json"
    )
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_rate_own"]
    assert PromptReputationScore.objects.count() == 0
    LicenceFactory(assistant=other_assistant, prompt=listing.prompt)
    r = other_client.post(f"{URL}{listing.id}/rate/", body, format="json")
    assert r.status_code == 201
    assert r.json()["trust_score"] == 0.75
    listing.prompt.refresh_from_db()
    assert listing.prompt.rating_count == 1


def test_buy_of_a_listing_you_cannot_see_is_404_before_the_body_is_judged(
    other_client, assistant, other_assistant
):
    hidden = ListingFactory(prompt=PromptFactory(author=assistant))
    Prompt.objects.filter(pk=hidden.prompt_id).update(is_public=False)
    for body in ({"buyer": other_assistant.id}, {"buyer": "x"}, {"buyer": assistant.id}, {}):
        r = post(other_client, hidden, "buy", **body)
        assert r.status_code == 404, (body, r.content)
        assert error_codes(r) == ["not_found"]
    assert not PromptLicence.objects.filter(assistant=other_assistant).exists()


def test_buy_does_not_count_the_assistants(other_client, listing, other_assistant):
    # The listings' adoption denominator is for their reads; a buy's body and answer need none.
    with mock.patch("api.viewsets.assistants_count", side_effect=AssertionError("counted")):
        r = post(other_client, listing, "buy", buyer=other_assistant.id)
    assert r.status_code == 201, r.content
