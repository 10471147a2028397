"""Locks and conditional writes, each proved by a race it decides: real threads, each with its
own connection, on PostgreSQL. A *holder* changes a row inside a transaction and keeps it
locked; a *contender* (a client request) starts at a barrier, reads the old committed state, and
must queue behind the holder instead of acting on what it read. The holder commits only once
the contender waits on a row lock, so the interleaving is the same on every run."""

import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from core import services as core_services
from core.models import Prompt, PromptLicence
from economy import services
from economy.models import (
    LedgerEntry,
    ListingAdoption,
    PromptReputationScore,
    PromptTokenListing,
    Wallet,
)
from mentorship.models import CurriculumAdoption, PromptCurriculumVault
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory, PromptFactory, RitualFactory
from tests.mentorship.factories import curriculum_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
WAIT_SECONDS = 15


def wait_for_a_blocked_backend() -> None:
    """Until another connection to this database waits on a lock (or WAIT_SECONDS pass)."""
    deadline = time.monotonic() + WAIT_SECONDS
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def race(holder, contender):
    """Run ``holder()`` in a transaction that stays open, after a barrier the contender waits
    on, until the contender is blocked on a lock; return what ``contender()`` returned."""
    barrier = threading.Barrier(2)
    results: dict = {}

    def hold():
        try:
            with transaction.atomic():
                holder()
                barrier.wait(timeout=10)
                wait_for_a_blocked_backend()
        except Exception as exc:
            results["holder"] = exc
        finally:
            connection.close()

    def contend():
        try:
            barrier.wait(timeout=10)
            results["contender"] = contender()
        except Exception as exc:
            results["contender"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=contend)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert "holder" not in results, results
    return results["contender"]


def delist(listing_id):
    return lambda: services.listing_delist(listing=PromptTokenListing.objects.get(pk=listing_id))


def answer(response):
    return response.status_code, response.json()


def test_a_listing_delisted_meanwhile_is_not_repriced():
    listing = ListingFactory(token_cost_cents=100)
    seller = listing.prompt.author.owner
    status, body = race(
        delist(listing.pk),
        lambda: answer(
            client_of(seller).patch(
                f"/api/v1/market/prompts/{listing.pk}/", {"token_cost": "95.00"}, format="json"
            )
        ),
    )
    assert (status, body["errors"][0]["code"]) == (409, "listing_inactive"), body
    listing.refresh_from_db()
    assert (listing.is_active, listing.token_cost_cents) == (False, 100)


def test_an_inject_racing_a_delist_counts_no_adoption():
    listing = ListingFactory(token_cost_cents=100)
    licensee = LicenceFactory(prompt=listing.prompt).assistant
    status, body = race(
        delist(listing.pk),
        lambda: answer(
            client_of(licensee.owner).post(
                f"/api/v1/market/prompts/{listing.pk}/inject/",
                {"assistant": licensee.pk},
                format="json",
            )
        ),
    )
    assert status == 201, body
    listing.refresh_from_db()
    assert (listing.is_active, listing.adopter_count) == (False, 0)
    assert not ListingAdoption.objects.exists()


def test_a_purchase_racing_a_delist_is_refused_and_charges_nothing():
    """The listing row lock in a prompt purchase."""
    listing = ListingFactory(token_cost_cents=2500)
    buyer = AssistantFactory()
    status, body = race(
        delist(listing.pk),
        lambda: answer(
            client_of(buyer.owner).post(
                f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": buyer.pk}, format="json"
            )
        ),
    )
    assert (status, body["errors"][0]["code"]) == (409, "listing_inactive"), body
    assert not PromptLicence.objects.exists()
    assert not LedgerEntry.objects.filter(kind="prompt_purchase").exists()
    assert Wallet.objects.get(assistant=buyer).balance_cents == 10000
    assert_ledger_invariants()


def test_a_curriculum_purchase_racing_a_delist_is_refused_and_charges_nothing():
    """The curriculum row lock in a curriculum purchase."""
    curriculum = curriculum_make(AssistantFactory(), cost_cents=2500)
    buyer = AssistantFactory()

    def deactivate():
        PromptCurriculumVault.objects.filter(pk=curriculum.pk).update(is_active=False)

    status, body = race(
        deactivate,
        lambda: answer(
            client_of(buyer.owner).post(
                f"/api/v1/market/curriculum/{curriculum.pk}/buy/",
                {"buyer": buyer.pk},
                format="json",
            )
        ),
    )
    assert (status, body["errors"][0]["code"]) == (409, "listing_inactive"), body
    assert not CurriculumAdoption.objects.exists()
    assert Wallet.objects.get(assistant=buyer).balance_cents == 10000
    assert_ledger_invariants()


def test_concurrent_ratings_by_one_rater_leave_one_entry():
    """The prompt row lock in a rating: without it two first ratings collide (a 500)."""
    prompt = PromptFactory()
    rater = AssistantFactory()
    n = 6
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def worker(i):
        try:
            client = client_of(rater.owner)
            barrier.wait(timeout=10)
            r = client.post(
                f"/api/v1/prompts/{prompt.pk}/rate/",
                {"rater": rater.pk, "ritual_effectiveness": i / n, "assistant_approval": 1.0},
                format="json",
            )
            results[i] = r.status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [200] * (n - 1) + [201], results
    entry = PromptReputationScore.objects.get()
    prompt = Prompt.objects.get(pk=prompt.pk)
    assert prompt.rating_count == 1
    assert prompt.rating_sum == pytest.approx(entry.trust_score)


def test_two_changes_rebuilding_one_curriculum_export_are_both_kept():
    """The curriculum row lock before a rebuild: the second rebuild reads the first's change."""
    from mentorship import services as mentorship

    owner = AssistantFactory()
    prompt = PromptFactory(author=owner, title="Dawn prompt")
    ritual = RitualFactory(owner=owner, steps=[prompt], name="Dawn")
    bundle = mentorship.bundle_create(owner=owner, tag_name="t", rituals=[ritual])
    curriculum = curriculum_make(owner, bundles=[bundle])

    def rename_ritual():
        core_services.ritual_update(ritual=type(ritual).objects.get(pk=ritual.pk), name="Dusk")

    status, body = race(
        rename_ritual,
        lambda: answer(
            client_of(owner.owner).patch(
                f"/api/v1/prompts/{prompt.pk}/", {"title": "Dusk prompt"}, format="json"
            )
        ),
    )
    assert status == 200, body
    exported = PromptCurriculumVault.objects.get(pk=curriculum.pk).exported_json
    shown = exported["bundles"][0]["rituals"][0]
    assert (shown["name"], shown["steps"][0]["title"]) == ("Dusk", "Dusk prompt")
