"""The outbox (SPEC 8), economy's changes: purchases, refunds, listings, ratings, forks and
mutations each write exactly one event of their type, addressed to the users who care; a change
that rolls back leaves none."""

import pytest

from core.models import Event, EventRecipient, PromptLicence
from economy.models import Wallet
from tests.conftest import error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.events.outbox_helpers import only_event, post
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


# --- economy ----------------------------------------------------------------------------------


def test_purchase_completed(other_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=250)
    r = post(
        other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
    )
    assert r.status_code == 201, r.content
    event, users = only_event("purchase.completed")
    licence = PromptLicence.objects.get(assistant=other_assistant)
    assert event.data == {
        "purchase": r.json()["id"],
        "listing": listing.pk,
        "prompt": listing.prompt_id,
        "buyer": other_assistant.pk,
        "seller": assistant.pk,
        "licence": licence.pk,
        "price": "2.50",
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}
    assert "body" not in event.data


def test_purchase_refunded(owner_client, other_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=250)
    r = post(
        other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
    )
    purchase = r.json()["id"]
    r = post(owner_client, f"/api/v1/market/purchases/{purchase}/refund/", {"reason": "sorry"})
    assert r.status_code == 200, r.content
    event, users = only_event("purchase.refunded")
    assert event.data == {
        "purchase": purchase,
        "listing": listing.pk,
        "prompt": listing.prompt_id,
        "buyer": other_assistant.pk,
        "seller": assistant.pk,
        "amount": "2.50",
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}


def test_a_refund_that_fails_for_funds_leaves_no_refund_event(
    owner_client, other_client, assistant, other_assistant
):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=250)
    purchase = post(
        other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
    ).json()["id"]
    Wallet.objects.filter(assistant=assistant).update(balance_cents=0)  # the seller spent it
    r = post(owner_client, f"/api/v1/market/purchases/{purchase}/refund/", {})
    assert r.status_code == 409
    assert error_codes(r) == ["insufficient_funds"]
    assert not Event.objects.filter(type="purchase.refunded").exists()


def test_purchase_that_fails_for_funds_leaves_no_event(other_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=10**9)
    Event.objects.all().delete()  # the listing's own listing.created
    r = post(
        other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
    )
    assert r.status_code == 409
    assert error_codes(r) == ["insufficient_funds"]
    assert not Event.objects.exists()
    assert not EventRecipient.objects.exists()


def test_listing_created_changed_and_delisted(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = post(owner_client, "/api/v1/market/prompts/", {"prompt": prompt.pk, "token_cost": "3.00"})
    assert r.status_code == 201, r.content
    listing_id = r.json()["id"]
    event, users = only_event("listing.created")
    assert event.data == {
        "listing": listing_id,
        "prompt": prompt.pk,
        "seller": assistant.pk,
        "price": "3.00",
    }
    assert users == {assistant.owner_id}

    url = f"/api/v1/market/prompts/{listing_id}/"
    assert owner_client.patch(url, {"token_cost": "4.50"}, format="json").status_code == 200
    event, users = only_event("listing.price_changed")
    assert event.data == {
        "listing": listing_id,
        "prompt": prompt.pk,
        "seller": assistant.pk,
        "old_price": "3.00",
        "price": "4.50",
    }
    assert users == {assistant.owner_id}
    # A change of the scores alone is no price change.
    assert owner_client.patch(url, {"codex_usage_score": 0.2}, format="json").status_code == 200
    assert Event.objects.filter(type="listing.price_changed").count() == 1

    assert post(owner_client, f"{url}delist/").status_code == 200
    event, users = only_event("listing.delisted")
    assert event.data == {"listing": listing_id, "prompt": prompt.pk, "seller": assistant.pk}
    assert users == {assistant.owner_id}


def test_prompt_rated(other_client, assistant, other_assistant):
    prompt = PromptFactory(author=assistant)
    body = {"rater": other_assistant.pk, "ritual_effectiveness": 0.8, "assistant_approval": 0.6}
    assert post(other_client, f"/api/v1/prompts/{prompt.pk}/rate/", body).status_code == 201
    event, users = only_event("prompt.rated")
    assert event.data["prompt"] == prompt.pk
    assert event.data["rater"] == other_assistant.pk
    assert event.data["replaced"] is False
    assert event.data["trust_score"] == pytest.approx(0.7)
    assert users == {assistant.owner_id}


def test_rating_own_prompt_is_refused_without_event(owner_client, assistant):
    prompt = PromptFactory(author=AssistantFactory(owner=assistant.owner))
    body = {"rater": assistant.pk, "ritual_effectiveness": 0.8, "assistant_approval": 0.6}
    assert post(owner_client, f"/api/v1/prompts/{prompt.pk}/rate/", body).status_code == 400
    assert not Event.objects.exists()


def test_prompt_forked_names_a_public_fork_only(other_client, assistant, other_assistant):
    public = PromptFactory(author=assistant)
    r = post(other_client, f"/api/v1/prompts/{public.pk}/fork/", {"assistant": other_assistant.pk})
    assert r.status_code == 201, r.content
    event, users = only_event("prompt.forked")
    assert event.data == {
        "prompt": public.pk,
        "fork": r.json()["id"],
        "assistant": other_assistant.pk,
    }
    assert users == {assistant.owner_id}


def test_prompt_forked_hides_a_private_fork(owner_client, client_for, assistant):
    """A fork of a for-sale prompt starts private: its author's event does not name it."""
    sold = PromptFactory(author=assistant)
    ListingFactory(prompt=sold, token_cost_cents=100)
    buyer = AssistantFactory()
    LicenceFactory(assistant=buyer, prompt=sold)
    r = post(client_for(buyer.owner), f"/api/v1/prompts/{sold.pk}/fork/", {"assistant": buyer.pk})
    assert r.status_code == 201, r.content
    event, _ = only_event("prompt.forked")
    assert event.data["fork"] is None


def test_prompt_mutated(other_client, assistant, other_assistant):
    parent = PromptFactory(author=assistant)
    r = post(
        other_client,
        f"/api/v1/prompts/{parent.pk}/mutate/",
        {"assistant": other_assistant.pk, "body": "new words", "belief_delta": 0.3},
    )
    assert r.status_code == 201, r.content
    event, users = only_event("prompt.mutated")
    assert event.data["prompt"] == parent.pk
    assert event.data["assistant"] == other_assistant.pk
    assert event.data["belief_delta"] == 0.3
    assert event.data["mutated_prompt"] is not None
    assert users == {assistant.owner_id}
