"""Reads of the training domain."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from core.access import prompts_visible_to
from core.models import Prompt

from .models import (
    AssistantReflectionChain,
    ChainParticipant,
    PromptMutationRing,
    SwarmTrainingChain,
)

LINEAGE_MAX_DEPTH = 1000
LINEAGE_MAX_DESCENDANTS = 100


def chains_all() -> QuerySet[SwarmTrainingChain]:
    """Chains with their participants in turn order (one extra query for a whole page)."""
    return SwarmTrainingChain.objects.select_related("seed_assistant").prefetch_related(
        Prefetch("participants", queryset=ChainParticipant.objects.order_by("position"))
    )


def chains_involving(qs: QuerySet[SwarmTrainingChain], assistant_id: int) -> QuerySet:
    return qs.filter(
        Exists(ChainParticipant.objects.filter(chain=OuterRef("pk"), assistant_id=assistant_id))
    )


def reflections_of(
    *, chain: SwarmTrainingChain, user: User | AnonymousUser
) -> QuerySet[AssistantReflectionChain]:
    """A chain's reflections; ``mutation_visible`` says whether the mutated prompt of the step
    is visible to ``user`` (private prompts never leak through a chain)."""
    visible = prompts_visible_to(user).filter(pk=OuterRef("mutation__mutated_prompt_id"))
    return (
        AssistantReflectionChain.objects.filter(chain=chain)
        .select_related("mutation")
        .annotate(mutation_visible=Exists(visible))
    )


def mutations_visible_to(user: User | AnonymousUser) -> QuerySet[PromptMutationRing]:
    """Rings whose parent and mutated prompts are both visible to ``user``."""
    visible = prompts_visible_to(user)
    return PromptMutationRing.objects.filter(
        Exists(visible.filter(pk=OuterRef("parent_prompt_id"))),
        Exists(visible.filter(pk=OuterRef("mutated_prompt_id"))),
    )


@dataclass(frozen=True)
class LineageNode:
    id: int
    title: str
    author: int
    depth: int  # 0 = the prompt itself, 1 = its parent, ...; -1 = a direct descendant
    relation: str | None  # how this node was made from its parent: "fork", "mutation" or None
    parent: int | None
    belief_delta: float | None
    mutation_step: int | None


@dataclass(frozen=True)
class Lineage:
    prompt: LineageNode
    ancestors: list[LineageNode]
    descendants: list[LineageNode]


def _ancestor_rows(prompt_id: int, max_depth: int) -> list[tuple]:
    """The prompt and its ancestors, nearest first, in ONE recursive query.

    A prompt's parent is the parent of the ring that made it (a mutation) or else its
    ``forked_from`` (a fork). ``path`` holds the ids walked so far, so a cycle stops the walk;
    ``max_depth`` caps it.
    """
    prompt = Prompt._meta.db_table
    ring = PromptMutationRing._meta.db_table
    step = """
        SELECT p.id, COALESCE(r.parent_prompt_id, p.forked_from_id),
               CASE WHEN r.id IS NOT NULL THEN 'mutation'
                    WHEN p.forked_from_id IS NOT NULL THEN 'fork' END,
               r.belief_delta, r.mutation_step"""
    sql = f"""
        WITH RECURSIVE lineage(id, parent_id, relation, belief_delta, mutation_step, depth, path)
        AS (
            {step}, 0, ',' || CAST(p.id AS TEXT) || ','
            FROM {prompt} p LEFT JOIN {ring} r ON r.mutated_prompt_id = p.id
            WHERE p.id = %s
          UNION ALL
            {step}, l.depth + 1, l.path || CAST(p.id AS TEXT) || ','
            FROM lineage l
            JOIN {prompt} p ON p.id = l.parent_id
            LEFT JOIN {ring} r ON r.mutated_prompt_id = p.id
            WHERE l.depth < %s AND l.path NOT LIKE '%%,' || CAST(p.id AS TEXT) || ',%%'
        )
        SELECT id, parent_id, relation, belief_delta, mutation_step, depth
        FROM lineage ORDER BY depth
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [prompt_id, max_depth])
        return list(cursor.fetchall())


def prompt_lineage(
    *, prompt: Prompt, user: User | AnonymousUser, max_depth: int = LINEAGE_MAX_DEPTH
) -> Lineage:
    """Ancestors to the root (through forks and mutations) and direct descendants of a prompt,
    in four queries whatever the depth. Prompts ``user`` may not see are left out (the walk
    still goes through them, so ``depth`` shows the gap)."""
    rows = _ancestor_rows(prompt.pk, max_depth)
    visible = prompts_visible_to(user)
    info = {
        pk: (title, author)
        for pk, title, author in visible.filter(pk__in=[r[0] for r in rows]).values_list(
            "pk", "title", "author_id"
        )
    }

    def node(row: tuple) -> LineageNode:
        pk, parent, relation, delta, mstep, depth = row
        title, author = info[pk]
        return LineageNode(pk, title, author, depth, relation, parent, delta, mstep)

    nodes = [node(r) for r in rows if r[0] in info]  # rows[0] is the prompt: visible to user

    descendants: list[LineageNode] = [
        LineageNode(
            r.mutated_prompt_id,
            r.mutated_prompt.title,
            r.mutated_prompt.author_id,
            -1,
            "mutation",
            prompt.pk,
            r.belief_delta,
            r.mutation_step,
        )
        for r in PromptMutationRing.objects.filter(
            parent_prompt=prompt,
            mutated_prompt__in=visible,
        )
        .select_related("mutated_prompt")
        .order_by("id")[:LINEAGE_MAX_DESCENDANTS]
    ]
    mutated_ids = {d.id for d in descendants}
    forks = (
        visible.filter(forked_from=prompt)
        .exclude(mutated_versions__isnull=False)
        .order_by("id")
        .values_list("pk", "title", "author_id")[:LINEAGE_MAX_DESCENDANTS]
    )
    descendants += [
        LineageNode(pk, title, author, -1, "fork", prompt.pk, None, None)
        for pk, title, author in forks
        if pk not in mutated_ids
    ]
    return Lineage(
        prompt=nodes[0], ancestors=[n for n in nodes if n.depth > 0], descendants=descendants
    )
