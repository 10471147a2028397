"""The outbox (SPEC 8), mentorship's and training's changes: mentorships, curricula, barters and
training chains each write exactly one event of their type, addressed to the users who care."""

import pytest

from core.models import Event
from mentorship.models import BarterOffer, PromptMentorshipLog
from tests.events.outbox_helpers import only_event, post
from tests.factories import AssistantFactory, PromptFactory
from tests.mentorship.factories import curriculum_make, mentor_make
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain

pytestmark = pytest.mark.django_db


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
