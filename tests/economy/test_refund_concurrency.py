"""Buys and refunds at once, in real threads behind a barrier, on a committing database (SQLite
file database and PostgreSQL): the money comes back exactly once and the ledger invariants hold
(Σ balances = Σ grants, one licence per purchase, one refund entry per refunded purchase)."""

import threading
from collections import Counter

import pytest

from economy.models import LedgerEntry, Purchase
from economy.services import listing_buy
from tests.economy.factories import ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

from .test_concurrency import buy, client_of, run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def refund(user, purchase_id):
    r = client_of(user).post(f"/api/v1/market/purchases/{purchase_id}/refund/", {}, format="json")
    return r.status_code, (r.json() if r.status_code < 500 else r.content)


def _double_refund() -> None:
    seller, buyer = AssistantFactory(), AssistantFactory()
    listing = ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=700)
    purchase = listing_buy(listing=listing, buyer=buyer).purchase
    results = run_threads(
        [lambda: refund(seller.owner, purchase.pk), lambda: refund(buyer.owner, purchase.pk)],
        barrier=threading.Barrier(2),
    )
    assert sorted(status for status, _ in results) == [200, 409], results
    (conflict,) = [body for status, body in results if status == 409]
    assert conflict["errors"][0]["code"] == "already_refunded"
    assert (
        LedgerEntry.objects.filter(kind="refund", reference=f"purchase:{purchase.pk}").count() == 1
    )


def test_two_refunds_of_one_purchase_return_the_money_once():
    for _ in range(3):
        _double_refund()
    assert_ledger_invariants()


@pytest.mark.postgres
def test_two_refunds_of_one_purchase_return_the_money_once_postgres():
    for _ in range(10):
        _double_refund()
    assert_ledger_invariants()


def _buys_and_refunds(rounds: int) -> None:
    seller = AssistantFactory()
    buyers = [AssistantFactory() for _ in range(4)]
    listings = [
        ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=300 + 100 * i)
        for i in range(3)
    ]
    sold = [listing_buy(listing=listings[0], buyer=b).purchase for b in buyers]
    jobs = [lambda p=p: refund(seller.owner, p.pk) for p in sold]
    jobs += [lambda b=b, lst=lst: buy(b.owner, lst.id, b.id) for b in buyers for lst in listings]
    jobs += [lambda b=b: buy(b.owner, listings[0].id, b.id) for b in buyers[:rounds]]
    results = run_threads(jobs, barrier=threading.Barrier(len(jobs)))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {200, 201, 409}, results
    codes = {body["errors"][0]["code"] for status, body in results if status == 409}
    assert codes <= {"already_owned", "insufficient_funds"}, codes
    assert statuses[200] == len(sold)
    assert Purchase.objects.filter(seller=seller, state="refunded").count() == len(sold)
    assert_ledger_invariants()


def test_buys_and_refunds_at_once_keep_the_ledger():
    _buys_and_refunds(2)


@pytest.mark.postgres
def test_buys_and_refunds_at_once_keep_the_ledger_postgres():
    for _ in range(3):
        _buys_and_refunds(4)
