from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import Prompt
from tests.conftest import count_queries, error_codes
from tests.economy.factories import ListingFactory
from tests.factories import AssistantFactory, PromptFactory
from tests.training.factories import make_chain
from training.models import AssistantReflectionChain, PromptMutationRing, SwarmTrainingChain

from .conftest import step

pytestmark = pytest.mark.django_db


def test_chain_records_reflection_snapshots_and_belief_deltas(
    owner_client, other_client, chain, assistant, other_assistant
):
    """The seed's testing goal: each step stores its reflection, snapshot and belief delta, the
    tracker sums the deltas per assistant and codex_tension is their population stddev."""
    r = step(owner_client, chain.pk, memory_snapshot={"dream": ["sea", 1]}, belief_delta=0.5)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["reflection"]["step"] == 0
    assert body["reflection"]["assistant"] == assistant.pk
    assert body["reflection"]["memory_snapshot"] == {"dream": ["sea", 1]}
    assert body["reflection"]["belief_delta"] == 0.5
    assert body["reflection"]["mutation"] is None
    assert body["chain"]["current_step"] == 1
    assert body["chain"]["next_assistant"] == other_assistant.pk
    assert body["chain"]["belief_delta_tracker"] == {
        str(assistant.pk): 0.5,
        str(other_assistant.pk): 0.0,
    }
    assert body["chain"]["codex_tension"] == pytest.approx(0.25)

    r = step(other_client, chain.pk, reflection_notes="Doubt.", belief_delta=-0.5, expected_step=1)
    assert r.status_code == 201, r.content
    r = step(owner_client, chain.pk, belief_delta=0.25)
    assert r.status_code == 201
    chain.refresh_from_db()
    assert chain.current_step == 3
    assert chain.belief_delta_tracker == {str(assistant.pk): 0.75, str(other_assistant.pk): -0.5}
    assert chain.codex_tension == pytest.approx(0.625)
    rows = list(
        AssistantReflectionChain.objects.filter(chain=chain)
        .order_by("step")
        .values_list("step", "assistant_id", "belief_delta", "reflection_notes")
    )
    assert rows == [
        (0, assistant.pk, 0.5, "I saw the sea."),
        (1, other_assistant.pk, -0.5, "Doubt."),
        (2, assistant.pk, 0.25, "I saw the sea."),
    ]
    assert AssistantReflectionChain.objects.get(step=0).memory_snapshot == {"dream": ["sea", 1]}


def test_seed_owner_may_step_for_any_turn(owner_client, chain, other_assistant):
    step(owner_client, chain.pk)
    r = step(owner_client, chain.pk)  # other_assistant's turn: the seed's owner may step
    assert r.status_code == 201
    assert r.json()["reflection"]["assistant"] == other_assistant.pk


def test_only_the_turns_owner_or_seed_owner_may_step(other_client, chain):
    r = step(other_client, chain.pk)  # assistant's turn; other_user owns neither it nor the seed
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_turn"]
    chain.refresh_from_db()
    assert chain.current_step == 0
    assert not AssistantReflectionChain.objects.exists()


def test_a_stranger_may_not_step(client_for, chain):
    from tests.factories import UserFactory

    r = step(client_for(UserFactory()), chain.pk)
    assert r.status_code == 403
    assert error_codes(r) == ["not_your_turn"]


def test_staff_may_step(staff_client, chain):
    assert step(staff_client, chain.pk).status_code == 201


def test_step_needs_auth(anon_client, chain):
    assert step(anon_client, chain.pk).status_code == 401
    assert not AssistantReflectionChain.objects.exists()


def test_step_unknown_chain_is_404(owner_client):
    assert step(owner_client, 999999).status_code == 404


def test_stale_step_is_409(owner_client, chain):
    step(owner_client, chain.pk)
    r = step(owner_client, chain.pk, expected_step=0)
    assert r.status_code == 409
    assert error_codes(r) == ["stale_step"]
    chain.refresh_from_db()
    assert chain.current_step == 1
    assert AssistantReflectionChain.objects.count() == 1


def test_chain_completes_at_max_steps(owner_client, assistant):
    chain = make_chain(seed=assistant, involved=[assistant], max_steps=2)
    assert step(owner_client, chain.pk).json()["chain"]["status"] == "active"
    body = step(owner_client, chain.pk).json()
    assert body["chain"]["status"] == "completed"
    assert body["chain"]["next_assistant"] is None
    r = step(owner_client, chain.pk)
    assert r.status_code == 409
    assert error_codes(r) == ["chain_completed"]
    chain.refresh_from_db()
    assert (chain.current_step, chain.status) == (2, "completed")
    assert AssistantReflectionChain.objects.count() == 2


@pytest.mark.parametrize(
    ("patch", "attr", "code"),
    [
        ({"memory_snapshot": {"x": "y" * (64 * 1024)}}, "memory_snapshot", "too_large"),
        ({"memory_snapshot": ["not", "an", "object"]}, "memory_snapshot", "not_an_object"),
        ({"memory_snapshot": "text"}, "memory_snapshot", "not_an_object"),
        ({"memory_snapshot": None}, "memory_snapshot", "null"),
        ({"belief_delta": 1.01}, "belief_delta", "max_value"),
        ({"belief_delta": -1.5}, "belief_delta", "min_value"),
        ({"belief_delta": "much"}, "belief_delta", "invalid"),
        ({"expected_step": -1}, "expected_step", "min_value"),
        ({"expected_step": 10**30}, "expected_step", "max_value"),
        ({"reflection_notes": None}, "reflection_notes", "null"),
        (
            {"mutation": {"parent_prompt": 999999, "body": "x"}},
            "mutation.parent_prompt",
            "does_not_exist",
        ),
        ({"mutation": {"body": "x"}}, "mutation.parent_prompt", "required"),
        ({"mutation": "x"}, "mutation.non_field_errors", "invalid"),
    ],
)
def test_step_bad_input(owner_client, chain, patch, attr, code):
    r = step(owner_client, chain.pk, **patch)
    assert r.status_code == 400, r.content
    assert {"attr": attr, "code": code} in [
        {"attr": e["attr"], "code": e["code"]} for e in r.json()["errors"]
    ]
    chain.refresh_from_db()
    assert chain.current_step == 0
    assert not AssistantReflectionChain.objects.exists()


def test_snapshot_of_exactly_64_kib_is_accepted(owner_client, chain):
    filler = "y" * (64 * 1024 - len('{"x":""}'))
    r = step(owner_client, chain.pk, memory_snapshot={"x": filler})
    assert r.status_code == 201, r.content


def test_step_with_mutation_creates_prompt_and_ring(owner_client, other_client, chain, assistant):
    parent = PromptFactory(author=AssistantFactory(), title="Sea")
    r = step(
        owner_client,
        chain.pk,
        belief_delta=-0.3,
        mutation={"parent_prompt": parent.pk, "body": "The sea, inverted."},
    )
    assert r.status_code == 201, r.content
    mutation = r.json()["reflection"]["mutation"]
    ring = PromptMutationRing.objects.get()
    assert mutation["id"] == ring.pk
    assert (ring.parent_prompt_id, ring.belief_delta, ring.mutation_step) == (parent.pk, -0.3, 1)
    mutated = ring.mutated_prompt
    assert (mutated.author_id, mutated.title, mutated.body) == (
        assistant.pk,
        "Sea",
        "The sea, inverted.",
    )
    assert AssistantReflectionChain.objects.get().mutation == ring

    r = step(  # turn 1 is other_assistant's: its owner publishes the mutation
        other_client,
        chain.pk,
        mutation={"parent_prompt": mutated.pk, "body": "Again.", "title": "Sea II"},
    )
    assert r.status_code == 201, r.content
    ring2 = PromptMutationRing.objects.get(parent_prompt=mutated)
    assert ring2.mutation_step == 2
    assert ring2.mutated_prompt.title == "Sea II"
    assert ring2.mutated_prompt.author_id == chain.participants.get(position=1).assistant_id


def test_mutation_of_an_unreadable_prompt_is_403_and_changes_nothing(owner_client, chain):
    seller = AssistantFactory()
    parent = PromptFactory(author=seller)
    ListingFactory(prompt=parent, token_cost_cents=500)
    prompts = Prompt.objects.count()
    r = step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "x"})
    assert r.status_code == 403
    assert error_codes(r) == ["not_licensed"]
    assert Prompt.objects.count() == prompts
    assert not PromptMutationRing.objects.exists()
    chain.refresh_from_db()
    assert chain.current_step == 0


def test_mutation_of_someone_elses_private_prompt_is_400(owner_client, chain):
    parent = PromptFactory(author=AssistantFactory(), is_public=False)
    r = step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "x"})
    assert r.status_code == 400
    assert error_codes(r) == ["does_not_exist"]


def test_step_costs_the_same_queries_whatever_the_history(owner_client, assistant):
    chain = make_chain(
        seed=assistant, involved=[assistant, AssistantFactory(owner=assistant.owner)]
    )
    n_first, r = count_queries(lambda: step(owner_client, chain.pk))
    assert r.status_code == 201
    for _ in range(20):
        step(owner_client, chain.pk)
    n_later, r = count_queries(lambda: step(owner_client, chain.pk))
    assert r.status_code == 201
    assert n_first == n_later
    # Two events (chain.stepped, chain.turn): one statement each on PostgreSQL (8 in all, was
    # 18), three each on SQLite.
    assert n_first <= 12


def test_step_with_mutation_costs_constant_queries(owner_client, assistant):
    chain = make_chain(seed=assistant, involved=[assistant])
    parent = PromptFactory(author=assistant)
    n_first, _ = count_queries(
        lambda: step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "a"})
    )
    for _ in range(10):
        step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "a"})
    n_later, r = count_queries(
        lambda: step(owner_client, chain.pk, mutation={"parent_prompt": parent.pk, "body": "a"})
    )
    assert r.status_code == 201
    assert n_first == n_later
    assert SwarmTrainingChain.objects.get().current_step == 12


def test_step_of_an_unknown_chain_is_404_before_the_body_is_judged(owner_client):
    for body in ({}, {"belief_delta": 9}):
        r = step(owner_client, 987654, **body)
        assert r.status_code == 404, (body, r.content)
        assert error_codes(r) == ["not_found"]


def test_a_step_moves_the_chains_updated_at_and_stamps_its_reflection(owner_client, chain):
    old = timezone.now() - timedelta(days=1)
    SwarmTrainingChain.objects.filter(pk=chain.pk).update(updated_at=old)
    before = timezone.now()
    r = step(owner_client, chain.pk)
    assert r.status_code == 201, r.content
    chain.refresh_from_db()
    reflection = AssistantReflectionChain.objects.get(pk=r.json()["reflection"]["id"])
    assert chain.updated_at >= before
    assert reflection.created_at >= before
