"""Curriculum buys answer what they charged (and may pin the price); barter accept re-checks
both curricula (409 ``offer_stale``). SPEC 7, issue 10 items 3 and 5."""

import time

import pytest

from economy.models import LedgerEntry, Wallet
from mentorship import services
from mentorship.models import BarterOffer, CurriculumAdoption, PromptCurriculumVault
from mentorship.services import barters
from tests.conftest import error_codes
from tests.economy.helpers import assert_ledger_invariants
from tests.factories import AssistantFactory
from tests.mentorship.factories import curriculum_make

from .conftest import run_in_threads

CURRICULA = "/api/v1/market/curriculum/"
BARTERS = "/api/v1/market/barters/"


def balance(assistant) -> int:
    return Wallet.objects.get(assistant=assistant).balance_cents


def buy(client, curriculum, buyer, **body):
    return client.post(
        f"{CURRICULA}{curriculum.pk}/buy/", {"buyer": buyer.pk, **body}, format="json"
    )


# --- curriculum buy ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_curriculum_buy_answers_price_and_balance(other_client, assistant, other_assistant):
    c = curriculum_make(assistant, cost_cents=1000)
    r = buy(other_client, c, other_assistant, expected_price="10.00")
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["price"], body["amount"], body["buyer_balance"]) == ("10.00", "10.00", "90.00")
    assert LedgerEntry.objects.get(pk=body["ledger_entry"]).amount_cents == 1000
    assert balance(other_assistant) == 9000


@pytest.mark.django_db
def test_curriculum_buy_with_another_price_pinned_is_409(
    owner_client, other_client, assistant, other_assistant
):
    c = curriculum_make(assistant, cost_cents=1000)
    r = owner_client.patch(f"{CURRICULA}{c.pk}/", {"token_cost": "95.00"}, format="json")
    assert r.status_code == 200, r.content
    r = buy(other_client, c, other_assistant, expected_price="10.00")
    assert r.status_code == 409
    assert error_codes(r) == ["price_changed"]
    assert r.json()["errors"][0]["attr"] == "expected_price"
    assert balance(other_assistant) == 10000
    assert not CurriculumAdoption.objects.exists()
    assert buy(other_client, c, other_assistant, expected_price="1e2").status_code == 400


def _reprice_once(client_for, new_price: str) -> None:
    """A buy while the curator reprices at once: the answer's price is its entry's amount and
    the balance answered is the one left."""
    curator, buyer = AssistantFactory(), AssistantFactory()
    c = curriculum_make(curator, cost_cents=100)
    buyer_client, curator_client = client_for(buyer.owner), client_for(curator.owner)
    buy_result, reprice = run_in_threads(
        lambda: buy(buyer_client, c, buyer),
        lambda: curator_client.patch(
            f"{CURRICULA}{c.pk}/", {"token_cost": new_price}, format="json"
        ),
    )
    assert reprice.status_code == 200, reprice.content
    assert buy_result.status_code == 201, buy_result.content
    body = buy_result.json()
    entry = LedgerEntry.objects.get(pk=body["ledger_entry"])
    assert body["price"] == f"{entry.amount_cents // 100}.{entry.amount_cents % 100:02d}"
    assert body["buyer_balance"] == "%.2f" % (balance(buyer) / 100)


def _reprice_race(client_for, rounds: int) -> None:
    for i in range(rounds):
        _reprice_once(client_for, f"{2 + i}.00")
    assert_ledger_invariants()


@pytest.mark.django_db(transaction=True)
def test_curriculum_price_answered_is_the_price_charged_under_a_reprice(client_for):
    """Runs on SQLite and on PostgreSQL."""
    _reprice_race(client_for, 3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_curriculum_price_answered_is_the_price_charged_under_a_reprice_postgres(client_for):
    _reprice_race(client_for, 12)


# --- barter offer_stale -----------------------------------------------------------------------


@pytest.fixture
def offer(db, assistant, other_assistant):
    """``other_assistant`` offers its curriculum for ``assistant``'s."""
    return services.barter_offer_create(
        offerer=other_assistant,
        offered_curriculum=curriculum_make(other_assistant),
        target_curriculum=curriculum_make(assistant),
    )


def accept(client, offer):
    return client.post(f"{BARTERS}{offer.pk}/accept/")


def assert_nothing_changed(offer):
    offer.refresh_from_db()
    assert offer.status == "pending"
    assert not CurriculumAdoption.objects.exists()
    assert PromptCurriculumVault.objects.filter(adopter_count__gt=0).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"ritual_tags": []},
        {"is_active": False},
        {"token_cost": "0.00"},
    ],
    ids=["emptied", "deactivated", "repriced"],
)
def test_offerer_changing_its_curriculum_makes_accept_stale(
    owner_client, other_client, offer, change
):
    r = other_client.patch(f"{CURRICULA}{offer.offered_curriculum_id}/", change, format="json")
    assert r.status_code == 200, r.content
    r = accept(owner_client, offer)
    assert r.status_code == 409, r.content
    assert error_codes(r) == ["offer_stale"]
    assert_nothing_changed(offer)
    # Still pending: the offerer may cancel it.
    assert other_client.post(f"{BARTERS}{offer.pk}/cancel/").status_code == 200


@pytest.mark.django_db
def test_a_changed_target_makes_accept_stale(owner_client, offer):
    r = owner_client.patch(
        f"{CURRICULA}{offer.target_curriculum_id}/", {"ritual_tags": []}, format="json"
    )
    assert r.status_code == 200, r.content
    assert error_codes(accept(owner_client, offer)) == ["offer_stale"]
    assert_nothing_changed(offer)


@pytest.mark.django_db
def test_an_unchanged_offer_is_accepted_and_a_closed_one_stays_closed(
    owner_client, other_client, offer
):
    assert accept(owner_client, offer).status_code == 200
    other_client.patch(
        f"{CURRICULA}{offer.offered_curriculum_id}/", {"is_active": False}, format="json"
    )
    assert error_codes(accept(owner_client, offer)) == ["offer_closed"]


@pytest.mark.django_db
def test_an_inactive_curriculum_cannot_be_offered(other_client, assistant, other_assistant):
    offered = curriculum_make(other_assistant, is_active=False)
    target = curriculum_make(assistant)
    r = other_client.post(
        f"{CURRICULA}{target.pk}/barter/",
        {"offerer": other_assistant.pk, "offered_curriculum": offered.pk},
        format="json",
    )
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    assert not BarterOffer.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_holds_both_curricula_until_the_swap_commits(client_for, monkeypatch):
    """The accept locks both curricula before it checks them: a deactivation sent while the
    accept runs waits for it, so no adoption ever happens on a curriculum already inactive."""
    offerer, curator = AssistantFactory(), AssistantFactory()
    offer = services.barter_offer_create(
        offerer=offerer,
        offered_curriculum=curriculum_make(offerer),
        target_curriculum=curriculum_make(curator),
    )
    adopt = barters._curriculum_adopt
    inactive_at_adoption = []

    def slow_adopt(*, curriculum, assistant, source):
        time.sleep(0.4)  # the deactivation below runs meanwhile
        fresh = PromptCurriculumVault.objects.filter(pk=curriculum.pk, is_active=False)
        inactive_at_adoption.append(fresh.exists())
        return adopt(curriculum=curriculum, assistant=assistant, source=source)

    monkeypatch.setattr(barters, "_curriculum_adopt", slow_adopt)
    accepter, offerer_client = client_for(curator.owner), client_for(offerer.owner)

    def deactivate():
        time.sleep(0.1)  # the accept goes first
        return offerer_client.patch(
            f"{CURRICULA}{offer.offered_curriculum_id}/", {"is_active": False}, format="json"
        )

    acc, deact = run_in_threads(lambda: accept(accepter, offer), deactivate)
    assert acc.status_code == 200, acc.content
    assert deact.status_code == 200, deact.content
    assert inactive_at_adoption == [False, False]
