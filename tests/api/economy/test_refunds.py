"""Refunds of purchases (SPEC 7): by the seller, by the buyer within the window and before using
the prompt, idempotent, in one transaction."""

from datetime import timedelta

import pytest

from core.models import PromptLicence
from economy.models import LedgerEntry, ListingAdoption, Purchase
from economy.services import ledger_transfer
from tests.api.economy.purchases_helpers import MARKET, URL, balance, buy, refund
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db


# --- refunds --------------------------------------------------------------------------------


def test_seller_refunds_in_one_transaction(owner_client, other_client, sold, assistant):
    buyer = sold.buyer
    r = refund(owner_client, sold.pk, reason="changed my mind")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["state"], body["refund_amount"]) == ("refunded", "12.50")
    assert (body["buyer_balance"], body["seller_balance"]) == ("100.00", "100.00")
    sold.refresh_from_db()
    assert (sold.state, sold.refund_reason) == ("refunded", "changed my mind")
    assert sold.refunded_at is not None
    entry = LedgerEntry.objects.get(kind="refund")
    assert entry == sold.refund_entry
    assert body["refund_entry"] == entry.pk
    assert (entry.payer.assistant, entry.payee.assistant, entry.amount_cents) == (
        assistant,
        buyer,
        1250,
    )
    assert (balance(buyer), balance(assistant)) == (10000, 10000)
    assert PromptLicence.objects.get(pk=sold.licence_id).state == "refunded"
    sold.listing.refresh_from_db()
    assert sold.listing.adopter_count == 0
    assert not ListingAdoption.objects.exists()
    # The licence no longer opens the for-sale body (core's access rule checks its state).
    r = other_client.get(f"{MARKET}{sold.listing_id}/")
    assert r.json()["prompt"]["body"] is None
    assert_ledger_invariants()


def test_refund_again_is_409_and_moves_nothing(owner_client, other_client, sold):
    assert refund(owner_client, sold.pk).status_code == 200
    for client in (owner_client, other_client):
        r = refund(client, sold.pk)
        assert r.status_code == 409
        assert error_codes(r) == ["already_refunded"]
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert_ledger_invariants()


def test_buyer_refunds_within_the_window(other_client, sold):
    r = refund(other_client, sold.pk)
    assert r.status_code == 200, r.content
    assert balance(sold.buyer) == 10000
    assert_ledger_invariants()


def test_buyer_refund_after_the_window_is_403(other_client, owner_client, sold, settings):
    settings.REFUND_WINDOW_HOURS = 1
    Purchase.objects.filter(pk=sold.pk).update(created_at=sold.created_at - timedelta(hours=1))
    r = refund(other_client, sold.pk)
    assert r.status_code == 403
    assert error_codes(r) == ["refund_not_allowed"]
    assert balance(sold.buyer) == 8750
    # The seller may refund at any time.
    assert refund(owner_client, sold.pk).status_code == 200


def _fork(client, sold):
    r = client.post(f"/api/v1/prompts/{sold.prompt_id}/fork/", {"assistant": sold.buyer_id})
    assert r.status_code == 201, r.content


def _mutate(client, sold):
    r = client.post(
        f"/api/v1/prompts/{sold.prompt_id}/mutate/",
        {"assistant": sold.buyer_id, "body": "changed", "belief_delta": 0.1},
        format="json",
    )
    assert r.status_code == 201, r.content


def _export(client, sold):
    r = client.post(
        "/api/v1/vaults/",
        {"owner_assistant": sold.buyer_id, "prompts": [sold.prompt_id]},
        format="json",
    )
    assert r.status_code == 201, r.content


@pytest.mark.parametrize("use", [_fork, _mutate, _export], ids=["fork", "mutate", "export"])
def test_buyer_who_used_the_prompt_cannot_refund(other_client, owner_client, sold, use):
    use(other_client, sold)
    r = refund(other_client, sold.pk)
    assert r.status_code == 403
    assert error_codes(r) == ["refund_not_allowed"]
    sold.refresh_from_db()
    assert sold.state == "completed"
    assert not LedgerEntry.objects.filter(kind="refund").exists()
    assert refund(owner_client, sold.pk).status_code == 200


def test_refund_when_the_seller_spent_it_is_409_and_changes_nothing(owner_client, sold, assistant):
    third = AssistantFactory()
    ledger_transfer(
        payer=assistant.wallet.pk,
        payee=third.wallet.pk,
        amount_cents=balance(assistant) - 100,
        kind="prompt_purchase",
        reference="spent",
    )
    r = refund(owner_client, sold.pk)
    assert r.status_code == 409
    assert error_codes(r) == ["insufficient_funds"]
    sold.refresh_from_db()
    assert sold.state == "completed"
    assert PromptLicence.objects.get(pk=sold.licence_id).state == "active"
    assert ListingAdoption.objects.count() == 1
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_refund_of_a_purchase_you_are_not_party_to_is_404(
    anon_client, client_for, sold, other_assistant
):
    stranger = client_for(AssistantFactory().owner)
    assert refund(stranger, sold.pk).status_code == 404
    assert stranger.get(f"{URL}{sold.pk}/").status_code == 404
    assert refund(stranger, 999999).status_code == 404
    assert refund(anon_client, sold.pk).status_code == 401
    r = refund(stranger, sold.pk, reason="x" * 501)
    assert r.status_code == 404
    assert Purchase.objects.get(pk=sold.pk).state == "completed"


def test_refund_bad_input_is_400(owner_client, sold):
    r = refund(owner_client, sold.pk, reason="x" * 501)
    assert r.status_code == 400
    assert error_codes(r) == ["max_length"]
    assert Purchase.objects.get(pk=sold.pk).state == "completed"


def test_refund_is_idempotent_with_a_key(owner_client, sold):
    headers = {"HTTP_IDEMPOTENCY_KEY": "refund-1"}
    first = refund(owner_client, sold.pk, headers)
    again = refund(owner_client, sold.pk, headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    r = refund(owner_client, sold.pk, headers, reason="other")
    assert error_codes(r) == ["idempotency_key_reused"]


def test_a_refunded_buyer_can_buy_again(owner_client, other_client, sold, listing):
    assert refund(owner_client, sold.pk).status_code == 200
    r = buy(other_client, listing, sold.buyer)
    assert r.status_code == 201, r.content
    again = Purchase.objects.get(pk=r.json()["id"])
    assert again.licence_id == sold.licence_id
    assert PromptLicence.objects.get(pk=sold.licence_id).state == "active"
    listing.refresh_from_db()
    assert listing.adopter_count == 1
    assert_ledger_invariants()


def test_a_free_purchase_is_refunded_without_an_entry(
    owner_client, other_client, assistant, other_assistant
):
    free = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=0)
    bought = buy(other_client, free, other_assistant)
    assert bought.status_code == 201, bought.content
    r = refund(owner_client, bought.json()["id"])
    assert r.status_code == 200, r.content
    assert (r.json()["refund_amount"], r.json()["refund_entry"]) == ("0.00", None)
    assert_ledger_invariants()


def test_buy_and_refund_cost_constant_queries(
    owner_client, other_client, assistant, other_user, settings
):
    settings.GRANTED_ASSISTANTS_PER_USER = 10  # every round's new buyer has tokens

    def one_round():
        listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
        buyer = AssistantFactory(owner=other_user)
        n_buy, r = count_queries(lambda: buy(other_client, listing, buyer))
        assert r.status_code == 201
        n_refund, r = count_queries(lambda: refund(owner_client, r.json()["id"]))
        assert r.status_code == 200
        return n_buy, n_refund

    first = one_round()
    for _ in range(5):
        one_round()
    assert one_round() == first
    assert first[0] <= 22, first
    assert first[1] <= 17, first  # the refund, its licence and purchase, and its event
