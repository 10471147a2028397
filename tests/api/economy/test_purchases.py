"""Pinned purchases, the purchase record, refunds and /market/purchases/ (SPEC 7)."""

from datetime import timedelta

import pytest

from core.models import Prompt, PromptLicence, PromptVersion
from economy.models import LedgerEntry, ListingAdoption, Purchase, Wallet
from economy.services import ledger_transfer
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db
MARKET = "/api/v1/market/prompts/"
URL = "/api/v1/market/purchases/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


@pytest.fixture
def listing(assistant):
    return ListingFactory(
        prompt=PromptFactory(author=assistant, body="secret body"), token_cost_cents=1250
    )


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


@pytest.fixture
def sold(other_client, listing, other_assistant):
    """``other_assistant`` bought ``listing`` (12.50) from ``assistant``."""
    r = buy(other_client, listing, other_assistant)
    assert r.status_code == 201, r.content
    return Purchase.objects.get(pk=r.json()["id"])


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
    assert error_codes(r) == [code]
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
    for bad in ({"role": "thief"}, {"assistant": "x"}, {"assistant": 0}, {"state": "odd"}):
        assert owner_client.get(URL, bad).status_code == 400, bad
