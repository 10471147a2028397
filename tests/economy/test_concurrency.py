"""The ledger under real concurrency: threads, each with its own connection, on a database
that commits (``transaction=True``). Runs on SQLite (file database, IMMEDIATE transactions)
and on PostgreSQL."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from core.models import PromptLicence
from economy.models import LedgerEntry
from tests.economy.factories import ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(jobs, *, barrier: threading.Barrier | None = None) -> list:
    results: list = [None] * len(jobs)

    def worker(i, job):
        try:
            if barrier is not None:
                barrier.wait(timeout=10)
            results[i] = job()
        except Exception as exc:  # surfaced by the assertions below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def buy(user, listing_id, buyer_id, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    r = client_of(user).post(
        f"/api/v1/market/prompts/{listing_id}/buy/", {"buyer": buyer_id}, format="json", **headers
    )
    return r.status_code, (r.json() if r.status_code < 500 else r.content)


def test_many_threads_buying_across_few_wallets_at_random_prices():
    rng = random.Random(42)
    traders = [AssistantFactory() for _ in range(4)]
    listings = [
        ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=rng.randint(0, 6000))
        for seller in traders
        for _ in range(3)
    ]
    jobs = []
    for _ in range(40):
        buyer = rng.choice(traders)
        listing = rng.choice(listings)
        jobs.append(lambda b=buyer, lst=listing: buy(b.owner, lst.id, b.id))
    results = run_threads(jobs, barrier=threading.Barrier(len(jobs)))
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = Counter(status for status, _ in results)
    assert set(statuses) <= {201, 400, 409}, results
    assert statuses[201] >= 1
    codes = {body["errors"][0]["code"] for status, body in results if status in (400, 409)}
    assert codes <= {"cannot_buy_own", "already_owned", "insufficient_funds"}
    assert statuses[201] == PromptLicence.objects.count()
    paid = LedgerEntry.objects.filter(kind="prompt_purchase").count()
    assert paid == PromptLicence.objects.filter(prompt__listings__token_cost_cents__gt=0).count()
    assert_ledger_invariants()


def test_one_idempotency_key_from_several_threads_charges_once():
    seller, buyer = AssistantFactory(), AssistantFactory()
    listing = ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=2500)
    n = 6
    barrier = threading.Barrier(n)
    results = run_threads(
        [lambda: buy(buyer.owner, listing.id, buyer.id, key="same-key") for _ in range(n)],
        barrier=barrier,
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    ok = [body for status, body in results if status == 201]
    others = [body["errors"][0]["code"] for status, body in results if status != 201]
    assert ok, results
    assert all(body == ok[0] for body in ok)
    assert set(others) <= {"idempotency_request_in_progress"}, results
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
    assert PromptLicence.objects.filter(assistant=buyer).count() == 1
    assert buyer.wallet.__class__.objects.get(pk=buyer.wallet.pk).balance_cents == 7500
    # afterwards the key replays the purchase
    status, body = buy(buyer.owner, listing.id, buyer.id, key="same-key")
    assert (status, body) == (201, ok[0])
    assert_ledger_invariants()


def test_crossing_transfers_do_not_deadlock():
    a, b = AssistantFactory(), AssistantFactory()
    a_listings = [
        ListingFactory(prompt=PromptFactory(author=a), token_cost_cents=100) for _ in range(5)
    ]
    b_listings = [
        ListingFactory(prompt=PromptFactory(author=b), token_cost_cents=100) for _ in range(5)
    ]
    jobs = [lambda lst=lst: buy(b.owner, lst.id, b.id) for lst in a_listings]
    jobs += [lambda lst=lst: buy(a.owner, lst.id, a.id) for lst in b_listings]
    results = run_threads(jobs, barrier=threading.Barrier(len(jobs)))
    assert [status for status, _ in results] == [201] * 10, results
    assert_ledger_invariants()
