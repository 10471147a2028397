import math

import pytest

from core.models import Prompt
from tests.factories import AssistantFactory, PromptFactory
from training import selectors, services
from training.formulas import codex_tension_population_stddev
from training.models import PromptMutationRing

from .factories import make_chain

pytestmark = pytest.mark.django_db


def test_codex_tension_is_the_population_stddev_with_missing_as_zero():
    assert codex_tension_population_stddev(tracker={}, involved_ids=[1, 2]) == 0.0
    assert codex_tension_population_stddev(tracker={"1": 1.0}, involved_ids=[1, 2]) == 0.5
    value = codex_tension_population_stddev(
        tracker={"1": 0.5, "2": -0.5, "3": 1.0}, involved_ids=[1, 2, 3, 4]
    )
    xs = [0.5, -0.5, 1.0, 0.0]
    mean = sum(xs) / 4
    assert value == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in xs) / 4))
    assert codex_tension_population_stddev(tracker={}, involved_ids=[]) == 0.0


def test_chain_step_records_reflection_tracker_and_tension(user):
    a, b = AssistantFactory(owner=user), AssistantFactory(owner=user)
    chain = make_chain(seed=a, involved=[a, b], max_steps=2)
    r0 = services.chain_step(
        chain_id=chain.pk,
        user=user,
        reflection_notes="n",
        memory_snapshot={"k": 1},
        belief_delta=0.4,
    )
    chain.refresh_from_db()
    assert (r0.step, r0.assistant_id) == (0, a.pk)
    assert chain.belief_delta_tracker == {str(a.pk): 0.4, str(b.pk): 0.0}
    assert chain.codex_tension == pytest.approx(0.2)
    services.chain_step(
        chain_id=chain.pk, user=user, reflection_notes="m", memory_snapshot={}, belief_delta=-0.4
    )
    chain.refresh_from_db()
    assert chain.status == "completed"
    assert chain.current_step == 2
    assert chain.codex_tension == pytest.approx(0.4)


def test_mutation_steps_count_from_the_root(user):
    a = AssistantFactory(owner=user)
    root = PromptFactory(author=a)
    ring1 = services.prompt_mutate(prompt=root, assistant=a, body="b1", belief_delta=0.1)
    ring2 = services.prompt_mutate(
        prompt=ring1.mutated_prompt, assistant=a, body="b2", belief_delta=0.2
    )
    assert (ring1.mutation_step, ring2.mutation_step) == (1, 2)
    assert ring2.mutated_prompt.title == root.title
    assert ring2.mutated_prompt.author_id == a.pk


def test_lineage_walk_stops_on_a_cycle_and_at_the_depth_cap(user):
    a = AssistantFactory(owner=user)
    p1, p2, p3 = (PromptFactory(author=a) for _ in range(3))
    # A cycle can only come from hand-edited data: p1 <- p2 <- p3 <- p1.
    Prompt.objects.filter(pk=p2.pk).update(forked_from=p1)
    Prompt.objects.filter(pk=p3.pk).update(forked_from=p2)
    Prompt.objects.filter(pk=p1.pk).update(forked_from=p3)
    lineage = selectors.prompt_lineage(prompt=p3, user=user)
    assert [n.id for n in lineage.ancestors] == [p2.pk, p1.pk]
    capped = selectors.prompt_lineage(prompt=p3, user=user, max_depth=1)
    assert [n.id for n in capped.ancestors] == [p2.pk]


def test_lineage_mixes_forks_and_mutations(user):
    a = AssistantFactory(owner=user)
    root = PromptFactory(author=a)
    fork = PromptFactory(author=a, forked_from=root)
    ring = PromptMutationRing.objects.create(
        parent_prompt=fork,
        mutated_prompt=PromptFactory(author=a),
        belief_delta=-0.3,
        mutation_step=1,
    )
    lineage = selectors.prompt_lineage(prompt=ring.mutated_prompt, user=user)
    assert lineage.prompt.relation == "mutation"
    assert lineage.prompt.belief_delta == -0.3
    assert [(n.id, n.relation, n.depth) for n in lineage.ancestors] == [
        (fork.pk, "fork", 1),
        (root.pk, None, 2),
    ]
