"""Ratings of prompts and the reputation aggregate kept on the prompt."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, QuerySet, Value, When

from core.access import AnyUser, prompt_visible_q
from core.compiled import compiled_first, compiled_update, viewer_from, viewer_shape
from core.events import event_emit
from core.exceptions import NotFound, NotLicensed
from core.models import Assistant, Prompt, PromptLicence
from core.rows import RowInsert, saved_as

from ..exceptions import (
    CannotRateOwn,
)
from ..formulas import (
    bayesian_trust_score_sql,
    reputation_trust_score,
)
from ..models import (
    PromptReputationScore,
)


def _previous_delete(*, prompt_id: int, rater_id: int) -> float | None:
    """Delete the rater's previous entry of the prompt, if any, in one statement: the score it
    had, None when there was none (PostgreSQL and SQLite ≥ 3.35: DELETE ... RETURNING)."""
    table = connection.ops.quote_name(PromptReputationScore._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE prompt_id = %s AND rater_id = %s RETURNING trust_score",
            [prompt_id, rater_id],
        )
        row = cursor.fetchone()
    return None if row is None else float(row[0])


_RATING = RowInsert(PromptReputationScore)
# PostgreSQL: the rater's previous entry deleted and the new one inserted in one statement; the
# INSERT's one-time filter reads the DELETE, so the old row is gone before the new one takes
# the (prompt, rater) unique index.
_REPLACE = (
    f"WITH prev AS (DELETE FROM {_RATING.table} WHERE prompt_id = %s AND rater_id = %s "
    "RETURNING trust_score), "
    f"ins AS (INSERT INTO {_RATING.table} ({_RATING.columns}) SELECT {_RATING.placeholders} "
    "WHERE (SELECT count(*) FROM prev) >= 0 RETURNING id) "
    "SELECT (SELECT trust_score FROM prev), (SELECT id FROM ins)"
)


def _rating_replace(entry: PromptReputationScore) -> float | None:
    """Insert ``entry`` (unsaved) in place of its rater's previous entry of the prompt, if any:
    the previous entry's score, None when there was none. On PostgreSQL one statement, each
    value prepared by its model field as the ORM prepares it; elsewhere DELETE ... RETURNING
    and the ORM's INSERT."""
    if connection.vendor != "postgresql":
        previous = _previous_delete(prompt_id=entry.prompt_id, rater_id=entry.rater_id)
        entry.save(force_insert=True)
        return previous
    with connection.cursor() as cursor:
        cursor.execute(_REPLACE, [entry.prompt_id, entry.rater_id, *_RATING.values(entry)])
        previous, entry_id = cursor.fetchone()
    saved_as(entry, entry_id)
    return None if previous is None else float(previous)


def _aggregate_update(
    prompt: int, sum_delta: float, count_delta: int
) -> tuple[QuerySet, dict[str, Any]]:
    new_sum = F("rating_sum") + sum_delta
    new_count = F("rating_count") + count_delta
    fields = {
        "rating_sum": new_sum,
        "rating_count": new_count,
        "trust_score": bayesian_trust_score_sql(new_sum, new_count),
    }
    return Prompt.objects.filter(pk=prompt), fields


def _aggregate_move(*, prompt_id: int, sum_delta: float, count_delta: int) -> None:
    """The prompt's aggregate moved by one rating, from the row's own current values, in one
    UPDATE compiled once per prior (``core.compiled``)."""
    compiled_update(
        shape=(
            "prompt_aggregate",
            settings.REPUTATION_PRIOR_WEIGHT,
            settings.REPUTATION_PRIOR_MEAN,
        ),
        build=_aggregate_update,
        values={"prompt": prompt_id, "sum_delta": float(sum_delta), "count_delta": count_delta},
    )


@transaction.atomic
def prompt_rate(
    *,
    prompt: Prompt | int,
    rater: Assistant,
    ritual_effectiveness: float,
    assistant_approval: float,
    user_rating_tags: Sequence[str] = (),
    symbolic_tags: Sequence[str] = (),
    require_licence: bool = False,
    visible_to: AnyUser | None = None,
) -> tuple[PromptReputationScore, bool]:
    """Record ``rater``'s rating of ``prompt``; returns (entry, created).

    One entry per (rater, prompt): rating again replaces the previous entry (the new one is the
    newest). Assistants of the prompt author's user cannot rate it (400 ``cannot_rate_own``);
    with ``require_licence`` (the market) the rater must hold a licence (403 ``not_licensed``);
    with ``visible_to`` a prompt that user may not see is 404 ``not_found``.
    The Prompt's aggregate (rating_sum, rating_count, trust_score) moves by the difference in the
    same transaction: a constant number of queries however many ratings exist.
    """
    prompt_id = prompt if isinstance(prompt, int) else prompt.pk
    # Lock the prompt row before reading anything the rating acts on (the licence, the previous
    # entry): concurrent ratings of one prompt queue (SQLite: IMMEDIATE already does).
    # Compiled once per shape of viewer, run with this request's ids (``core.compiled``).
    shape, viewer_ids = viewer_shape(visible_to)

    def build(prompt: int, viewer: int | None = None) -> QuerySet:
        locked = Prompt.objects.select_for_update(of=("self",), no_key=True).filter(pk=prompt)
        seen_by = viewer_from(visible_to, viewer)
        if seen_by is not None:
            locked = locked.filter(prompt_visible_q(seen_by))
        # "pk" keeps the prompt's own table in the select, so ``of=("self",)`` stays
        # ``FOR UPDATE OF core_prompt``: without it Django drops OF and the join would lock the
        # author's assistant row too (a deadlock with commits that check foreign keys to it).
        return locked.values("pk", "author__owner_id")[:1]

    row = compiled_first(
        shape=f"prompt_rate:{shape}", build=build, ids={"prompt": prompt_id, **viewer_ids}
    )
    if row is None:
        raise NotFound("Not found.")
    author_owner_id = row["author__owner_id"]
    if rater.owner_id == author_owner_id:
        raise CannotRateOwn(field="rater")
    if (
        require_licence
        and not PromptLicence.objects.filter(
            prompt_id=prompt_id, assistant=rater, state=PromptLicence.State.ACTIVE
        ).exists()
    ):
        raise NotLicensed()
    score = reputation_trust_score(
        ritual_effectiveness=ritual_effectiveness, assistant_approval=assistant_approval
    )
    entry = PromptReputationScore(
        prompt_id=prompt_id,
        rater=rater,
        ritual_effectiveness=ritual_effectiveness,
        assistant_approval=assistant_approval,
        user_rating_tags=list(user_rating_tags),
        symbolic_tags=list(symbolic_tags),
        trust_score=score,
    )
    previous = _rating_replace(entry)
    if previous is None:
        sum_delta, count_delta = score, 1
    else:
        sum_delta, count_delta = score - previous, 0
    _aggregate_move(prompt_id=prompt_id, sum_delta=sum_delta, count_delta=count_delta)
    event_emit(
        type="prompt.rated",
        data={
            "prompt": prompt_id,
            "rating": entry.pk,
            "rater": rater.pk,
            "trust_score": score,
            "replaced": previous is not None,
        },
        recipients=[author_owner_id],
    )
    return entry, previous is None


@transaction.atomic
def prompt_rating_delete(*, entry: PromptReputationScore) -> None:
    """Remove one rating (moderation): the prompt's aggregate moves back by that entry in the
    same transaction, under the prompt's row lock, as ``prompt_rate`` moves it forward. An entry
    already gone (a concurrent replacement or delete) changes nothing."""
    list(Prompt.objects.select_for_update().filter(pk=entry.prompt_id).values_list("pk"))
    score = (
        PromptReputationScore.objects.filter(pk=entry.pk).values_list("trust_score", flat=True)
    ).first()
    if score is None:
        return
    PromptReputationScore.objects.filter(pk=entry.pk).delete()
    # The last rating gone leaves exactly the prior, not a float residue of the sum.
    new_sum = Case(When(rating_count__lte=1, then=Value(0.0)), default=F("rating_sum") - score)
    new_count = F("rating_count") - 1
    Prompt.objects.filter(pk=entry.prompt_id).update(
        rating_sum=new_sum,
        rating_count=new_count,
        trust_score=bayesian_trust_score_sql(new_sum, new_count),
    )
