"""Barter offers: POST /market/curriculum/{id}/barter/, /market/barters/ and its decisions."""

import pytest

from core.models import PromptLicence
from mentorship import services
from mentorship.models import BarterOffer, CurriculumAdoption
from tests.conftest import assert_list_queries_constant, error_codes
from tests.factories import AssistantFactory
from tests.mentorship.factories import curriculum_make

from .conftest import run_in_threads

pytestmark = pytest.mark.django_db
URL = "/api/v1/market/barters/"


def offer_url(curriculum):
    return f"/api/v1/market/curriculum/{curriculum.pk}/barter/"


@pytest.fixture
def pair(assistant, other_assistant):
    """``assistant`` curates the target; ``other_assistant`` curates what it offers."""
    return curriculum_make(assistant), curriculum_make(other_assistant)


@pytest.fixture
def offer(pair, other_assistant):
    target, offered = pair
    return services.barter_offer_create(
        offerer=other_assistant, offered_curriculum=offered, target_curriculum=target
    )


def decide(client, offer, verb):
    return client.post(f"{URL}{offer.pk}/{verb}/")


# Offer --------------------------------------------------------------------------------------


def test_make_an_offer(other_client, pair, other_assistant, assistant):
    target, offered = pair
    r = other_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": offered.pk}
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "pending"
    assert body["target_curator"] == assistant.pk
    o = BarterOffer.objects.get()
    assert (o.offerer, o.offered_curriculum, o.target_curriculum) == (
        other_assistant,
        offered,
        target,
    )


def test_offer_a_curriculum_you_do_not_curate_is_400(other_client, pair, other_assistant):
    target, _ = pair
    not_mine = curriculum_make(AssistantFactory())
    r = other_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": not_mine.pk}
    )
    assert r.status_code == 400
    assert error_codes(r) == ["not_your_curriculum"]
    assert not BarterOffer.objects.exists()


def test_offer_to_yourself_is_400(owner_client, assistant):
    a, b = curriculum_make(assistant), curriculum_make(assistant)
    r = owner_client.post(offer_url(a), {"offerer": assistant.pk, "offered_curriculum": b.pk})
    assert r.status_code == 400
    assert error_codes(r) == ["cannot_barter_own"]


def test_offer_for_inactive_curriculum_is_409(other_client, assistant, other_assistant):
    target = curriculum_make(assistant, is_active=False)
    offered = curriculum_make(other_assistant)
    r = other_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": offered.pk}
    )
    assert r.status_code == 409
    assert error_codes(r) == ["listing_inactive"]
    assert r.json()["errors"][0]["attr"] is None  # the target is the path's, not a field


def test_offering_an_inactive_curriculum_is_409_on_that_field(
    other_client, assistant, other_assistant
):
    target = curriculum_make(assistant)
    offered = curriculum_make(other_assistant, is_active=False)
    r = other_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": offered.pk}
    )
    assert r.status_code == 409
    assert r.json()["errors"] == [
        {
            "code": "listing_inactive",
            "detail": "The offered curriculum is not on the market.",
            "attr": "offered_curriculum",
        }
    ]
    assert not BarterOffer.objects.exists()


def test_offer_as_someone_elses_assistant_is_403(owner_client, pair, other_assistant):
    target, offered = pair
    r = owner_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": offered.pk}
    )
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_assistant"]


@pytest.mark.parametrize(
    ("body", "attr", "code"),
    [
        ({"offered_curriculum": 999999}, "offered_curriculum", "does_not_exist"),
        ({"offered_curriculum": "x"}, "offered_curriculum", "incorrect_type"),
        ({"offered_curriculum": None}, "offered_curriculum", "null"),
    ],
)
def test_offer_bad_input(other_client, pair, other_assistant, body, attr, code):
    target, _ = pair
    r = other_client.post(offer_url(target), {"offerer": other_assistant.pk, **body}, format="json")
    assert r.status_code == 400
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]


def test_offer_needs_auth(anon_client, pair, other_assistant):
    target, offered = pair
    r = anon_client.post(
        offer_url(target), {"offerer": other_assistant.pk, "offered_curriculum": offered.pk}
    )
    assert r.status_code == 401


# List ---------------------------------------------------------------------------------------


def test_offers_are_private_to_their_parties(owner_client, other_client, client_for, offer):
    assert [o["id"] for o in owner_client.get(URL).json()["results"]] == [offer.pk]
    assert [o["id"] for o in other_client.get(URL).json()["results"]] == [offer.pk]
    stranger = client_for(AssistantFactory().owner)
    assert stranger.get(URL).json()["results"] == []
    assert stranger.get(f"{URL}{offer.pk}/").status_code == 404
    assert decide(stranger, offer, "accept").status_code == 404


def test_list_needs_auth(anon_client, offer):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.get(f"{URL}{offer.pk}/").status_code == 401


def test_list_filters_and_queries(owner_client, pair, other_assistant, assistant):
    target, offered = pair
    for _ in range(3):
        services.barter_offer_create(
            offerer=other_assistant, offered_curriculum=offered, target_curriculum=target
        )
    BarterOffer.objects.filter(pk=BarterOffer.objects.first().pk).update(status="declined")
    assert assert_list_queries_constant(owner_client, URL) <= 4
    assert len(owner_client.get(URL, {"status": "pending"}).json()["results"]) == 2
    assert owner_client.get(URL, {"status": "nope"}).status_code == 400


# Decide -------------------------------------------------------------------------------------


def test_accept_adopts_both_ways(owner_client, offer, assistant, other_assistant):
    r = decide(owner_client, offer, "accept")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "accepted"
    offer.refresh_from_db()
    assert offer.status == "accepted"
    assert offer.decided_at is not None
    adoptions = set(
        CurriculumAdoption.objects.values_list("curriculum_id", "assistant_id", "source")
    )
    assert adoptions == {
        (offer.target_curriculum_id, other_assistant.pk, "barter"),
        (offer.offered_curriculum_id, assistant.pk, "barter"),
    }
    assert PromptLicence.objects.filter(assistant=other_assistant).count() == 2
    assert PromptLicence.objects.filter(assistant=assistant).count() == 2
    offer.target_curriculum.refresh_from_db()
    assert offer.target_curriculum.adopter_count == 1


def test_accept_or_decline_by_the_offerer_is_403(other_client, offer):
    for verb in ("accept", "decline"):
        r = decide(other_client, offer, verb)
        assert r.status_code == 403
        assert error_codes(r) == ["not_owner"]
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_cancel_by_the_target_is_403(owner_client, offer):
    r = decide(owner_client, offer, "cancel")
    assert r.status_code == 403
    assert error_codes(r) == ["not_owner"]


def test_decline_and_cancel(owner_client, other_client, offer, pair, other_assistant):
    assert decide(owner_client, offer, "decline").json()["status"] == "declined"
    target, offered = pair
    second = services.barter_offer_create(
        offerer=other_assistant, offered_curriculum=offered, target_curriculum=target
    )
    assert decide(other_client, second, "cancel").json()["status"] == "cancelled"
    assert not CurriculumAdoption.objects.exists()


@pytest.mark.parametrize("first", ["accept", "decline", "cancel"])
def test_anything_but_pending_is_409(owner_client, other_client, offer, first):
    client_of = {"accept": owner_client, "decline": owner_client, "cancel": other_client}
    assert decide(client_of[first], offer, first).status_code == 200
    for verb in ("accept", "decline", "cancel"):
        r = decide(client_of[verb], offer, verb)
        assert r.status_code == 409
        assert error_codes(r) == ["offer_closed"]
    offer.refresh_from_db()
    assert (
        offer.status == {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}[first]
    )


def _race(client_for):
    target_curator, offerer = AssistantFactory(), AssistantFactory()
    target, offered = curriculum_make(target_curator), curriculum_make(offerer)
    offer = services.barter_offer_create(
        offerer=offerer, offered_curriculum=offered, target_curriculum=target
    )
    accepter, canceller = client_for(target_curator.owner), client_for(offerer.owner)
    codes = run_in_threads(
        lambda: decide(accepter, offer, "accept").status_code,
        lambda: decide(canceller, offer, "cancel").status_code,
    )
    offer.refresh_from_db()
    return offer, codes


def _assert_one_outcome(offer, codes):
    assert sorted(codes) == [200, 409]
    adoptions = CurriculumAdoption.objects.filter(
        curriculum__in=[offer.target_curriculum_id, offer.offered_curriculum_id]
    ).count()
    if codes[0] == 200:
        assert offer.status == "accepted"
        assert adoptions == 2
    else:
        assert offer.status == "cancelled"
        assert adoptions == 0


@pytest.mark.django_db(transaction=True)
def test_accept_and_cancel_at_once_leave_one_outcome(client_for):
    """Runs on SQLite and on PostgreSQL."""
    for _ in range(3):
        _assert_one_outcome(*_race(client_for))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_accept_and_cancel_at_once_leave_one_outcome_postgres(client_for):
    for _ in range(10):
        _assert_one_outcome(*_race(client_for))
