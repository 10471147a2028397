"""The outbox (SPEC 8): every change of the catalogue writes exactly one event of its type in
its own transaction, addressed to the users who care; a change that rolls back leaves none."""

from unittest import mock

import pytest
from django.db import transaction

from core.events import CATALOGUE, event_data_validate, event_emit
from core.models import Event, EventRecipient, PromptLicence
from economy.models import Wallet
from mentorship.models import BarterOffer, PromptMentorshipLog
from tests.conftest import count_queries, error_codes
from tests.economy.factories import LicenceFactory, ListingFactory
from tests.factories import AssistantFactory, PromptFactory, UserFactory
from tests.mentorship.factories import curriculum_make, mentor_make
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain

pytestmark = pytest.mark.django_db


def only_event(type_: str) -> tuple[Event, set[int]]:
    """The one event of ``type_`` and the ids of its recipients (fails on zero or several)."""
    events = list(Event.objects.filter(type=type_))
    assert len(events) == 1, f"{type_}: {len(events)} events"
    users = set(EventRecipient.objects.filter(event=events[0]).values_list("user_id", flat=True))
    return events[0], users


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


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


# --- mentorship and curricula -------------------------------------------------------------------


def test_mentorship_adopted_and_feedback(other_client, assistant, other_assistant):
    tag = mentor_make(assistant)
    r = post(
        other_client,
        f"/api/v1/assistants/{assistant.pk}/mentorship/adopt/",
        {"mentee": other_assistant.pk},
    )
    assert r.status_code == 201, r.content
    log = PromptMentorshipLog.objects.get()
    event, users = only_event("mentorship.adopted")
    assert event.data == {
        "mentorship": log.pk,
        "mentor": assistant.pk,
        "mentee": other_assistant.pk,
        "prompts": sorted(tag.offered_prompts.values_list("id", flat=True)),
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}

    r = post(other_client, f"/api/v1/mentorships/{log.pk}/feedback/", {"trust_delta": 0.5})
    assert r.status_code == 200, r.content
    event, users = only_event("mentorship.feedback")
    assert event.data == {
        "mentorship": log.pk,
        "mentor": assistant.pk,
        "mentee": other_assistant.pk,
        "trust_delta": 0.5,
    }
    assert users == {assistant.owner_id}


def test_curriculum_bought(other_client, assistant, other_assistant):
    curriculum = curriculum_make(assistant, cost_cents=700)
    r = post(
        other_client,
        f"/api/v1/market/curriculum/{curriculum.pk}/buy/",
        {"buyer": other_assistant.pk},
    )
    assert r.status_code == 201, r.content
    event, users = only_event("curriculum.bought")
    assert event.data == {
        "curriculum": curriculum.pk,
        "curator": assistant.pk,
        "buyer": other_assistant.pk,
        "price": "7.00",
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}


def test_curriculum_bought_without_funds_leaves_no_event(other_client, assistant, other_assistant):
    curriculum = curriculum_make(assistant, cost_cents=10**9)
    r = post(
        other_client,
        f"/api/v1/market/curriculum/{curriculum.pk}/buy/",
        {"buyer": other_assistant.pk},
    )
    assert r.status_code == 409
    assert not Event.objects.exists()


def test_curriculum_cloned(other_client, assistant, other_assistant):
    curriculum = curriculum_make(assistant, cost_cents=0)
    r = post(
        other_client,
        f"/api/v1/market/curriculum/{curriculum.pk}/clone/",
        {"assistant": other_assistant.pk},
    )
    assert r.status_code == 201, r.content
    event, users = only_event("curriculum.cloned")
    assert event.data == {
        "curriculum": curriculum.pk,
        "curator": assistant.pk,
        "clone": r.json()["id"],
        "assistant": other_assistant.pk,
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}


@pytest.mark.parametrize(
    ("verb", "type_", "by_target"),
    [("accept", "accepted", True), ("decline", "declined", True), ("cancel", "cancelled", False)],
)
def test_barter_events(
    owner_client, other_client, assistant, other_assistant, verb, type_, by_target
):
    target, offered = curriculum_make(assistant), curriculum_make(other_assistant)
    r = post(
        other_client,
        f"/api/v1/market/curriculum/{target.pk}/barter/",
        {"offerer": other_assistant.pk, "offered_curriculum": offered.pk},
    )
    assert r.status_code == 201, r.content
    offer = BarterOffer.objects.get()
    expected = {
        "offer": offer.pk,
        "offerer": other_assistant.pk,
        "offered_curriculum": offered.pk,
        "target_curriculum": target.pk,
        "target_curator": assistant.pk,
    }
    both = {assistant.owner_id, other_assistant.owner_id}
    event, users = only_event("barter.offered")
    assert (event.data, users) == (expected, both)

    client = owner_client if by_target else other_client
    assert post(client, f"/api/v1/market/barters/{offer.pk}/{verb}/").status_code == 200
    event, users = only_event(f"barter.{type_}")
    assert (event.data, users) == (expected, both)
    # A second decision is a 409 and writes nothing.
    assert post(client, f"/api/v1/market/barters/{offer.pk}/{verb}/").status_code == 409
    assert Event.objects.count() == 2


# --- training ---------------------------------------------------------------------------------


def step(client, chain):
    body = {"reflection_notes": "n", "memory_snapshot": {}, "belief_delta": 0.25}
    return post(client, f"/api/v1/train/chains/{chain.pk}/step/", body)


def test_chain_stepped_then_turn_then_completed(owner_client, other_client, assistant):
    other = AssistantFactory()
    third = AssistantFactory()
    chain = make_chain(seed=assistant, involved=[assistant, other, third], max_steps=2)
    everyone = {assistant.owner_id, other.owner_id, third.owner_id}

    r = step(owner_client, chain)
    assert r.status_code == 201, r.content
    event, users = only_event("chain.stepped")
    assert event.data == {
        "chain": chain.pk,
        "step": 0,
        "assistant": assistant.pk,
        "reflection": AssistantReflectionChain.objects.get(chain=chain, step=0).pk,
        "codex_tension": pytest.approx(0.1178511, abs=1e-6),
    }
    assert users == everyone
    event, users = only_event("chain.turn")
    assert event.data == {"chain": chain.pk, "step": 1, "assistant": other.pk}
    assert users == {other.owner_id}
    assert not Event.objects.filter(type="chain.completed").exists()

    assert step(owner_client, chain).status_code == 201  # the seed's owner steps for `other`
    event, users = only_event("chain.completed")
    assert event.data == {"chain": chain.pk, "steps": 2}
    assert users == everyone
    assert Event.objects.filter(type="chain.turn").count() == 1  # no turn after the last step
    assert Event.objects.filter(type="chain.stepped").count() == 2


def test_chain_step_with_mutation_tells_the_parent_author(owner_client, assistant):
    chain = make_chain(seed=assistant, involved=[assistant])
    author = AssistantFactory()
    parent = PromptFactory(author=author)
    body = {
        "reflection_notes": "n",
        "memory_snapshot": {},
        "belief_delta": 0.1,
        "mutation": {"parent_prompt": parent.pk, "body": "x"},
    }
    r = post(owner_client, f"/api/v1/train/chains/{chain.pk}/step/", body)
    assert r.status_code == 201, r.content
    _, users = only_event("prompt.mutated")
    assert users == {author.owner_id}


# --- the outbox itself --------------------------------------------------------------------------


def test_an_error_later_in_the_same_transaction_takes_the_event_with_it(assistant):
    def change_that_fails() -> None:
        with transaction.atomic():
            event_emit(
                type="chain.completed",
                data={"chain": 1, "steps": 2},
                recipients=[assistant.owner_id],
            )
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not Event.objects.exists()
    assert not EventRecipient.objects.exists()


def test_a_service_failing_after_emitting_leaves_no_event(other_client, assistant, other_assistant):
    listing = ListingFactory(prompt=PromptFactory(author=assistant), token_cost_cents=100)
    Event.objects.all().delete()  # the listing's own listing.created
    with (
        mock.patch("economy.services.purchases.Sale", side_effect=RuntimeError("after the event")),
        pytest.raises(RuntimeError),
    ):
        post(
            other_client, f"/api/v1/market/prompts/{listing.pk}/buy/", {"buyer": other_assistant.pk}
        )
    assert not Event.objects.exists()
    assert not PromptLicence.objects.exists()


def test_emit_costs_three_queries_and_dedups_recipients(assistant):
    user = UserFactory()
    n, _ = count_queries(
        lambda: event_emit(
            type="chain.completed",
            data={"chain": 1, "steps": 2},
            recipients=[user.pk, assistant.owner_id, user.pk, None],
        )
    )
    assert n == 3  # + the SELECT of the recipients' active webhook endpoints
    assert sorted(EventRecipient.objects.values_list("user_id", flat=True)) == sorted(
        [user.pk, assistant.owner_id]
    )


def test_listeners_hear_only_committed_events(django_capture_on_commit_callbacks, assistant):
    heard: list[int] = []
    from core.events import event_listener_add, event_listener_remove

    event_listener_add(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event = event_emit(
                type="chain.completed",
                data={"chain": 1, "steps": 1},
                recipients=[assistant.owner_id],
            )
        assert heard == [event.pk]

        def change_that_fails() -> None:
            with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
                event_emit(type="chain.completed", data={"chain": 1, "steps": 1}, recipients=[])
                raise RuntimeError

        with pytest.raises(RuntimeError):
            change_that_fails()
        assert heard == [event.pk]
    finally:
        event_listener_remove(heard.append)


@pytest.mark.parametrize(
    ("type_", "data", "message"),
    [
        ("no.such", {}, "Unknown event type"),
        ("chain.completed", {"chain": 1}, "data keys"),
        ("chain.completed", {"chain": 1, "steps": 2, "body": "x"}, "data keys"),
        ("chain.completed", {"chain": "1", "steps": 2}, "is not a id"),
        ("chain.completed", {"chain": True, "steps": 2}, "is not a id"),
        ("listing.created", {"listing": 1, "prompt": 1, "seller": 1, "price": 1.5}, "money"),
        ("prompt.forked", {"prompt": 1, "fork": None, "assistant": None}, "is not a id"),
    ],
)
def test_data_off_the_catalogue_is_refused(type_, data, message):
    with pytest.raises(ValueError, match=message):
        event_data_validate(type=type_, data=data)
    with pytest.raises(ValueError, match=message):
        event_emit(type=type_, data=data, recipients=[])
    assert not Event.objects.exists()


def test_the_catalogue_has_every_spec_type():
    spec_types = {
        "purchase.completed", "purchase.refunded", "listing.created", "listing.delisted",
        "listing.price_changed", "prompt.version_created", "prompt.label_moved", "prompt.rated",
        "prompt.forked", "prompt.mutated", "mentorship.adopted", "mentorship.feedback",
        "curriculum.bought", "curriculum.cloned", "barter.offered", "barter.accepted",
        "barter.declined", "barter.cancelled", "chain.stepped", "chain.turn", "chain.completed",
        "webhook.disabled", "webhook.test",
    }  # fmt: skip
    assert set(CATALOGUE) == spec_types
    for spec in CATALOGUE.values():
        assert "body" not in spec.fields


# --- versions and labels ----------------------------------------------------------------------


def test_prompt_version_created_reaches_the_author_and_licence_holders(
    owner_client, assistant, other_assistant
):
    prompt = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=prompt)
    bystander = AssistantFactory()
    r = owner_client.patch(f"/api/v1/prompts/{prompt.pk}/", {"body": "new words"}, format="json")
    assert r.status_code == 200, r.content
    event, users = only_event("prompt.version_created")
    prompt.refresh_from_db()
    assert event.data == {
        "prompt": prompt.pk,
        "version": 2,
        "author": assistant.pk,
        "content_hash": prompt.content_hash,
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}
    assert bystander.owner_id not in users
    assert "body" not in event.data


def test_a_metadata_edit_makes_no_version_event(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = owner_client.patch(f"/api/v1/prompts/{prompt.pk}/", {"is_public": False}, format="json")
    assert r.status_code == 200, r.content
    assert not Event.objects.filter(type="prompt.version_created").exists()


def test_prompt_label_moved_and_removed(owner_client, assistant, other_assistant):
    prompt = PromptFactory(author=assistant)
    LicenceFactory(assistant=other_assistant, prompt=prompt)
    url = f"/api/v1/prompts/{prompt.pk}/labels/live/"
    r = owner_client.put(url, {"version": 1}, format="json")
    assert r.status_code in (200, 201), r.content
    event, users = only_event("prompt.label_moved")
    assert event.data == {
        "prompt": prompt.pk,
        "label": "live",
        "version": 1,
        "author": assistant.pk,
    }
    assert users == {assistant.owner_id, other_assistant.owner_id}
    assert owner_client.delete(url).status_code == 204
    removed = Event.objects.filter(type="prompt.label_moved").order_by("-id").first()
    assert removed.data["version"] is None


def test_a_label_on_an_unknown_version_leaves_no_event(owner_client, assistant):
    prompt = PromptFactory(author=assistant)
    r = owner_client.put(f"/api/v1/prompts/{prompt.pk}/labels/live/", {"version": 9}, format="json")
    assert r.status_code == 400
    assert not Event.objects.filter(type="prompt.label_moved").exists()
