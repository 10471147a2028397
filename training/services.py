"""Writes of the training domain. Keyword-only, one transaction each; they never see a request."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from core.access import bodies_publishable, prompt_usable_by
from core.events import event_emit, event_emit_many
from core.exceptions import NotLicensed, NotYourAssistant
from core.models import Assistant, Prompt
from core.services import prompt_create

from .exceptions import ChainCompleted, DoesNotExist, NotYourTurn, StaleStep
from .formulas import codex_tension_population_stddev
from .locking import chain_locked, step_write
from .models import (
    AssistantReflectionChain,
    ChainParticipant,
    PromptMutationRing,
    SwarmTrainingChain,
)


@transaction.atomic
def chain_create(
    *,
    seed_assistant: Assistant,
    chain_title: str,
    involved_assistant_ids: Sequence[int],
    max_steps: int | None = None,
) -> SwarmTrainingChain:
    """A chain names 1-50 distinct existing assistants in turn order (stored with explicit
    positions). The tracker starts at 0 for each of them."""
    ids = list(involved_assistant_ids)
    known = set(Assistant.objects.filter(pk__in=ids).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise DoesNotExist(
            f"Unknown assistant(s): {', '.join(map(str, unknown))}.", field="involved_assistants"
        )
    chain = SwarmTrainingChain.objects.create(
        chain_title=chain_title,
        seed_assistant=seed_assistant,
        max_steps=max_steps,
        belief_delta_tracker={str(i): 0.0 for i in ids},
    )
    ChainParticipant.objects.bulk_create(
        ChainParticipant(chain=chain, assistant_id=aid, position=pos) for pos, aid in enumerate(ids)
    )
    return chain


def _mutation_step_after(*, parent: Prompt) -> int:
    """A mutation's step is its parent's ring ``mutation_step`` + 1, or 1 from a prompt that
    was not itself made by a mutation."""
    parent_step = (
        PromptMutationRing.objects.filter(mutated_prompt=parent)
        .values_list("mutation_step", flat=True)
        .first()
    )
    return (parent_step or 0) + 1


def _mutation_create(
    *,
    parent: Prompt,
    assistant: Assistant,
    body: str,
    title: str | None,
    belief_delta: float,
) -> PromptMutationRing:
    if not prompt_usable_by(prompt=parent, assistant=assistant):
        raise NotLicensed("The assistant may not read the parent prompt's body.")
    mutated = prompt_create(
        author=assistant,
        title=title or parent.title,
        body=body,
        tags=parent.tags,
        codex_clauses=parent.codex_clauses,
        # Derived from the parent's body: public only when that body already is, for free.
        is_public=parent.content_hash in bodies_publishable(content_hashes=[parent.content_hash]),
    )
    ring = PromptMutationRing.objects.create(
        parent_prompt=parent,
        parent_version=parent.version,
        mutated_prompt=mutated,
        belief_delta=belief_delta,
        mutation_step=_mutation_step_after(parent=parent),
    )
    event_emit(
        type="prompt.mutated",
        data={
            "prompt": parent.pk,
            "mutation": ring.pk,
            "mutated_prompt": mutated.pk if mutated.is_public else None,
            "assistant": assistant.pk,
            "belief_delta": belief_delta,
        },
        recipients=[parent.author.owner_id],
    )
    return ring


@transaction.atomic
def prompt_mutate(
    *,
    prompt: Prompt,
    assistant: Assistant,
    body: str,
    belief_delta: float,
    title: str | None = None,
) -> PromptMutationRing:
    """Mutate ``prompt`` as ``assistant``: a new prompt (authored by the assistant, the parent's
    tags, clauses and visibility) linked by a ring carrying ``belief_delta``. The assistant must
    be able to read the parent's body (403 ``not_licensed``)."""
    return _mutation_create(
        parent=prompt, assistant=assistant, body=body, title=title, belief_delta=belief_delta
    )


def _may_step(*, user: User | AnonymousUser, turn: Assistant, seed: Assistant) -> bool:
    return bool(user.is_staff) or user.id in (turn.owner_id, seed.owner_id)


@transaction.atomic
def chain_step(
    *,
    chain_id: int,
    user: User | AnonymousUser,
    reflection_notes: str,
    memory_snapshot: dict[str, Any],
    belief_delta: float,
    expected_step: int | None = None,
    mutation: Mapping[str, Any] | None = None,
) -> AssistantReflectionChain:
    """One step of a chain, all in this transaction, the chain row locked first (SELECT … FOR
    UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions already serialise writers), so two
    concurrent steps never take the same step number:

    - the turn is ``involved[current_step mod n]``; its owner or the seed assistant's owner may
      step (staff too), 403 ``not_your_turn`` otherwise;
    - 409 ``chain_completed`` once ``current_step`` reached ``max_steps``; 409 ``stale_step``
      when ``expected_step`` is given and differs from ``current_step``;
    - a reflection row at ``step = current_step``; ``tracker[turn] += belief_delta``;
      ``codex_tension`` recomputed; an optional mutation (a prompt authored by the turn's
      assistant, who must be able to read the parent's body) with its ring;
    - ``current_step + 1``, and ``completed`` when it reaches ``max_steps``.

    404 ``not_found`` for a chain that does not exist. The reflection returned carries the
    chain as this transaction left it (``reflection.chain``, participants prefetched), so the
    answer needs no re-read.
    """
    chain, participants = chain_locked(chain_id)
    turn = participants[chain.current_step % len(participants)].assistant
    if not _may_step(user=user, turn=turn, seed=chain.seed_assistant):
        raise NotYourTurn()
    if mutation is not None and not (user.is_staff or user.id == turn.owner_id):
        # The mutated prompt is published as the turn's assistant: only its owner may do that,
        # not the seed's owner stepping on its behalf.
        raise NotYourAssistant("Only the turn assistant's owner may publish a mutation as it.")
    if chain.status == SwarmTrainingChain.Status.COMPLETED:
        raise ChainCompleted()
    if expected_step is not None and expected_step != chain.current_step:
        raise StaleStep(
            f"expected_step is {expected_step} but the chain is at step {chain.current_step}."
        )
    ring = None
    if mutation is not None:
        ring = _mutation_create(
            parent=mutation["parent_prompt"],
            assistant=turn,
            body=mutation["body"],
            title=mutation.get("title"),
            belief_delta=belief_delta,
        )
    reflection = AssistantReflectionChain(
        chain=chain,
        step=chain.current_step,
        assistant=turn,
        reflection_notes=reflection_notes,
        memory_snapshot=memory_snapshot,
        belief_delta=belief_delta,
        mutation=ring,
    )
    tracker = dict(chain.belief_delta_tracker or {})
    key = str(turn.pk)
    tracker[key] = float(tracker.get(key, 0.0)) + belief_delta
    chain.belief_delta_tracker = tracker
    chain.codex_tension = codex_tension_population_stddev(
        tracker=tracker, involved_ids=[p.assistant_id for p in participants]
    )
    chain.current_step += 1
    if chain.max_steps is not None and chain.current_step >= chain.max_steps:
        chain.status = SwarmTrainingChain.Status.COMPLETED
    step_write(chain=chain, reflection=reflection)
    _chain_events_emit(chain=chain, participants=participants, reflection=reflection)
    return reflection


def _chain_events_emit(
    *,
    chain: SwarmTrainingChain,
    participants: Sequence[ChainParticipant],
    reflection: AssistantReflectionChain,
) -> None:
    """After a step: ``chain.stepped`` to every involved assistant's owner, then
    ``chain.completed`` to them too, or ``chain.turn`` to the owner whose turn it is now."""
    owners = [p.assistant.owner_id for p in participants]
    stepped = (
        "chain.stepped",
        {
            "chain": chain.pk,
            "step": reflection.step,
            "assistant": reflection.assistant_id,
            "reflection": reflection.pk,
            "codex_tension": chain.codex_tension,
        },
        owners,
    )
    if chain.status == SwarmTrainingChain.Status.COMPLETED:
        event_emit_many(
            [stepped, ("chain.completed", {"chain": chain.pk, "steps": chain.current_step}, owners)]
        )
        return
    turn = participants[chain.current_step % len(participants)].assistant
    event_emit_many(
        [
            stepped,
            (
                "chain.turn",
                {"chain": chain.pk, "step": chain.current_step, "assistant": turn.pk},
                [turn.owner_id],
            ),
        ]
    )
