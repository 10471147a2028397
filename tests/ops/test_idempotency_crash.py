"""A worker killed mid-purchase leaves its Idempotency-Key ``in_progress`` (its transaction
rolled back: nothing charged). The client's retry gets 409 while the key might still be live,
and once it is older than IDEMPOTENCY_STALE_SECONDS the retry takes the key over and buys,
charged once."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.idempotency import request_fingerprint
from core.models import PromptLicence
from economy.models import IdempotencyKey, LedgerEntry, Wallet
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory


def crashed_request(user, listing, buyer, *, key: str, age: timedelta) -> IdempotencyKey:
    """The row a request killed after claiming its key leaves behind (same fingerprint as the
    retry will have: the same method, path and body)."""

    class Parsed:  # what request_fingerprint reads from a DRF request
        method = "POST"
        path = f"/api/v1/market/prompts/{listing.id}/buy/"
        data = {"buyer": buyer.id}

    return IdempotencyKey.objects.create(
        user=user,
        key=key,
        scope="market_prompts_buy",
        fingerprint=request_fingerprint(Parsed(), "market_prompts_buy"),  # type: ignore[arg-type]
        created_at=timezone.now() - age,
    )


def buy(user, listing, buyer, key: str):
    client = APIClient()
    client.force_authenticate(user)
    return client.post(
        f"/api/v1/market/prompts/{listing.id}/buy/",
        {"buyer": buyer.id},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def purchase(db):
    seller, buyer = AssistantFactory(), AssistantFactory()
    listing = ListingFactory(prompt=PromptFactory(author=seller), token_cost_cents=1000)
    return buyer.owner, listing, buyer


@pytest.mark.django_db
def test_retry_before_the_stale_timeout_is_409_and_charges_nothing(purchase, settings):
    user, listing, buyer = purchase
    age = timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS - 5)
    crashed_request(user, listing, buyer, key="k-crash", age=age)
    r = buy(user, listing, buyer, "k-crash")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "idempotency_request_in_progress"
    assert not PromptLicence.objects.exists()
    assert Wallet.objects.get(assistant=buyer).balance_cents == 10000
    assert IdempotencyKey.objects.get().state == "in_progress"


@pytest.mark.django_db
def test_retry_after_the_stale_timeout_buys_once_and_replays_after(purchase, settings):
    user, listing, buyer = purchase
    age = timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    crashed_request(user, listing, buyer, key="k-crash", age=age)
    r = buy(user, listing, buyer, "k-crash")
    assert r.status_code == 201, r.json()
    assert r.json()["buyer_balance"] == "90.00"
    assert Wallet.objects.get(assistant=buyer).balance_cents == 9000
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
    record = IdempotencyKey.objects.get()
    assert (record.state, record.response_status) == ("completed", 201)
    again = buy(user, listing, buyer, "k-crash")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1


@pytest.mark.django_db
def test_a_stale_key_with_a_different_request_is_still_reused(purchase, settings):
    user, listing, buyer = purchase
    other = ListingFactory(prompt=PromptFactory(), token_cost_cents=500)
    age = timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    crashed_request(user, listing, buyer, key="k-crash", age=age)
    r = buy(user, other, buyer, "k-crash")
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert not LedgerEntry.objects.filter(kind="prompt_purchase").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_a_crashed_key_charge_once(purchase, settings):
    user, listing, buyer = purchase
    age = timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS + 1)
    crashed_request(user, listing, buyer, key="k-crash", age=age)
    barrier = threading.Barrier(8)
    statuses: list = []

    def retry() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(buy(user, listing, buyer, "k-crash").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    counts = Counter(statuses)
    assert counts[201] >= 1
    assert set(counts) <= {201, 409}
    assert LedgerEntry.objects.filter(kind="prompt_purchase").count() == 1
    assert Wallet.objects.get(assistant=buyer).balance_cents == 9000
