"""Pinned purchases, the purchase record, refunds and /market/purchases/ (SPEC 7)."""

from unittest.mock import ANY

import pytest

from core.models import PromptLicence
from economy.models import ListingAdoption, Purchase
from tests.api.economy.purchases_helpers import MARKET, URL, balance, buy, new_version
from tests.conftest import error_codes
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory

pytestmark = pytest.mark.django_db


# --- buy: the record and the answer ---------------------------------------------------------


def test_buy_answers_what_was_sold_and_records_the_purchase(
    owner_client, other_client, listing, assistant, other_assistant
):
    new_version(listing.prompt, "second text")
    r = buy(other_client, listing, other_assistant, expected_price="12.50", expected_version=2)
    assert r.status_code == 201, r.content
    body = r.json()
    purchase = Purchase.objects.select_related("version", "licence").get(pk=body["id"])
    assert (body["price"], body["version"], body["buyer_balance"]) == ("12.50", 2, "87.50")
    assert body["content_hash"] == purchase.version.content_hash
    assert purchase.version.body == "second text"
    assert (purchase.buyer, purchase.seller, purchase.listing) == (
        other_assistant,
        assistant,
        listing,
    )
    assert (purchase.price_cents, purchase.state) == (1250, "completed")
    assert purchase.ledger_entry_id == body["ledger_entry"]
    assert purchase.ledger_entry.amount_cents == 1250
    assert purchase.licence_id == body["licence"]
    assert purchase.licence.version_id == purchase.version_id
    assert (body["buyer"], body["seller"], body["refund_amount"]) == (
        other_assistant.pk,
        assistant.pk,
        None,
    )
    assert_ledger_invariants()


@pytest.mark.parametrize(
    ("pin", "code"),
    [({"expected_price": "12.49"}, "price_changed"), ({"expected_version": 2}, "version_changed")],
)
def test_a_pin_that_differs_is_409_and_charges_nothing(
    other_client, listing, other_assistant, pin, code
):
    r = buy(other_client, listing, other_assistant, **pin)
    assert r.status_code == 409, r.content
    assert r.json() == {
        "type": "client_error",
        "errors": [{"code": code, "detail": ANY, "attr": next(iter(pin))}],
    }
    assert balance(other_assistant) == 10000
    assert not Purchase.objects.exists()
    assert not PromptLicence.objects.exists()
    assert not ListingAdoption.objects.exists()


def test_a_reprice_between_view_and_buy_is_caught(
    owner_client, other_client, listing, other_assistant
):
    r = owner_client.patch(f"{MARKET}{listing.pk}/", {"token_cost": "95.00"}, format="json")
    assert r.status_code == 200, r.content
    r = buy(other_client, listing, other_assistant, expected_price="12.50")
    assert error_codes(r) == ["price_changed"]
    assert balance(other_assistant) == 10000


@pytest.mark.parametrize(
    "pin",
    [
        {"expected_price": "abc"},
        {"expected_price": "-1.00"},
        {"expected_price": 1.234},
        {"expected_version": 0},
        {"expected_version": "x"},
        {"expected_version": 2**40},
    ],
)
def test_bad_pins_are_400(other_client, listing, other_assistant, pin):
    r = buy(other_client, listing, other_assistant, **pin)
    assert r.status_code == 400, r.content
    assert set(r.json()["errors"][0]) >= {"code", "attr"}
    assert not Purchase.objects.exists()


def test_buy_replay_returns_the_stored_answer(other_client, listing, other_assistant):
    headers = {"HTTP_IDEMPOTENCY_KEY": "buy-1"}
    body = {"buyer": other_assistant.pk, "expected_version": 1}
    first = other_client.post(f"{MARKET}{listing.pk}/buy/", body, format="json", **headers)
    again = other_client.post(f"{MARKET}{listing.pk}/buy/", body, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Purchase.objects.count() == 1
    assert balance(other_assistant) == 8750


# --- lists ----------------------------------------------------------------------------------


def test_purchases_list_by_role_and_assistant(owner_client, other_client, sold, assistant):
    mine = other_client.get(URL, {"role": "buyer"}).json()["results"]
    assert [p["id"] for p in mine] == [sold.pk]
    assert other_client.get(URL, {"role": "seller"}).json()["results"] == []
    assert [p["id"] for p in owner_client.get(URL, {"role": "seller"}).json()["results"]] == [
        sold.pk
    ]
    assert owner_client.get(URL, {"role": "buyer"}).json()["results"] == []
    assert len(owner_client.get(URL, {"assistant": assistant.pk}).json()["results"]) == 1
    assert (
        owner_client.get(URL, {"assistant": assistant.pk, "role": "buyer"}).json()["results"] == []
    )
    detail = owner_client.get(f"{URL}{sold.pk}/").json()
    assert (detail["price"], detail["state"], detail["version"]) == ("12.50", "completed", 1)
    assert "next" in owner_client.get(URL).json()


def test_purchases_list_denials_and_bad_input(anon_client, owner_client, client_for, sold):
    assert anon_client.get(URL).status_code == 401
    assert client_for(AssistantFactory().owner).get(URL).json()["results"] == []
    r = owner_client.get(URL, {"assistant": sold.buyer_id})
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]
    assert r.json()["errors"][0]["attr"] == "assistant"  # the query parameter
    for bad in ({"role": "thief"}, {"assistant": "x"}, {"assistant": 0}, {"state": "odd"}):
        assert owner_client.get(URL, bad).status_code == 400, bad
