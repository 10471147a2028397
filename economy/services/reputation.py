"""Ratings of prompts and the reputation aggregate kept on the prompt."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Case, F, Value, When

from core.events import event_emit
from core.exceptions import NotLicensed
from core.models import Assistant, Prompt, PromptLicence

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


@transaction.atomic
def prompt_rate(
    *,
    prompt: Prompt,
    rater: Assistant,
    ritual_effectiveness: float,
    assistant_approval: float,
    user_rating_tags: Sequence[str] = (),
    symbolic_tags: Sequence[str] = (),
    require_licence: bool = False,
) -> tuple[PromptReputationScore, bool]:
    """Record ``rater``'s rating of ``prompt``; returns (entry, created).

    One entry per (rater, prompt): rating again replaces the previous entry (the new one is the
    newest). Assistants of the prompt author's user cannot rate it (400 ``cannot_rate_own``);
    with ``require_licence`` (the market) the rater must hold a licence (403 ``not_licensed``).
    The Prompt's aggregate (rating_sum, rating_count, trust_score) moves by the difference in the
    same transaction: a constant number of queries however many ratings exist.
    """
    if rater.owner_id == prompt.author.owner_id:
        raise CannotRateOwn(field="rater")
    # Lock the prompt row before reading anything the rating acts on (the licence, the previous
    # entry): concurrent ratings of one prompt queue (SQLite: IMMEDIATE already does).
    list(Prompt.objects.select_for_update().filter(pk=prompt.pk).values_list("pk"))
    if (
        require_licence
        and not PromptLicence.objects.filter(
            prompt=prompt, assistant=rater, state=PromptLicence.State.ACTIVE
        ).exists()
    ):
        raise NotLicensed()
    previous = (
        PromptReputationScore.objects.filter(prompt=prompt, rater=rater)
        .values_list("pk", "trust_score")
        .first()
    )
    score = reputation_trust_score(
        ritual_effectiveness=ritual_effectiveness, assistant_approval=assistant_approval
    )
    if previous is None:
        sum_delta, count_delta = score, 1
    else:
        PromptReputationScore.objects.filter(pk=previous[0]).delete()
        sum_delta, count_delta = score - previous[1], 0
    entry = PromptReputationScore.objects.create(
        prompt=prompt,
        rater=rater,
        ritual_effectiveness=ritual_effectiveness,
        assistant_approval=assistant_approval,
        user_rating_tags=list(user_rating_tags),
        symbolic_tags=list(symbolic_tags),
        trust_score=score,
    )
    new_sum = F("rating_sum") + sum_delta
    new_count = F("rating_count") + count_delta
    Prompt.objects.filter(pk=prompt.pk).update(
        rating_sum=new_sum,
        rating_count=new_count,
        trust_score=bayesian_trust_score_sql(new_sum, new_count),
    )
    event_emit(
        type="prompt.rated",
        data={
            "prompt": prompt.pk,
            "rating": entry.pk,
            "rater": rater.pk,
            "trust_score": score,
            "replaced": previous is not None,
        },
        recipients=[prompt.author.owner_id],
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
