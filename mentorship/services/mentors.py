"""Mentor tags and mentorship logs: opting in as a mentor, adopting a mentor's prompt, feedback."""

import math
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from core.events import event_emit
from core.exceptions import NotFound
from core.models import Assistant, Prompt, PromptLicence
from core.services import licences_grant

from ..exceptions import (
    CannotMentorSelf,
    NotAMentor,
    OutOfRange,
    PromptNotOffered,
    PromptNotOwn,
)
from ..formulas import mentor_score_sum_trust_delta_over_n_plus_3
from ..models import (
    AssistantMentorTag,
    PromptMentorshipLog,
)


def _mentor_score_recompute(*, tag: AssistantMentorTag) -> AssistantMentorTag:
    """mentor_score from one aggregate over the mentor's mentorships that have feedback."""
    totals = PromptMentorshipLog.objects.filter(
        mentor_id=tag.assistant_id, feedback_at__isnull=False
    ).aggregate(total=Sum("trust_delta"), n=Count("id"))
    n = totals["n"] or 0
    tag.feedback_count = n
    tag.mentor_score = mentor_score_sum_trust_delta_over_n_plus_3(
        trust_delta_sum=totals["total"] or 0.0, n=n
    )
    AssistantMentorTag.objects.filter(pk=tag.pk).update(
        mentor_score=tag.mentor_score, feedback_count=n
    )
    return tag


@transaction.atomic
def mentor_tag_set(
    *, assistant: Assistant, mentorship_notes: str, offered_prompts: Sequence[Prompt]
) -> tuple[AssistantMentorTag, bool]:
    """Opt in as a mentor, or change notes and offered prompts. A mentor offers only its own
    public prompts. Returns the tag and whether it was created."""
    for prompt in offered_prompts:
        if prompt.author_id != assistant.pk or not prompt.is_public:
            raise PromptNotOwn(
                f"Prompt {prompt.pk} is not a public prompt of assistant {assistant.pk}.",
                field="offered_prompts",
            )
    created = False
    tag = AssistantMentorTag.objects.select_for_update().filter(assistant=assistant).first()
    if tag is None:
        try:
            with transaction.atomic():
                tag = AssistantMentorTag.objects.create(
                    assistant=assistant, mentorship_notes=mentorship_notes
                )
            created = True
        except IntegrityError:  # a concurrent opt-in won the race: update that one
            tag = AssistantMentorTag.objects.select_for_update().get(assistant=assistant)
    if not created:
        tag.mentorship_notes = mentorship_notes
        tag.save(update_fields=["mentorship_notes", "updated_at"])
    tag.offered_prompts.set(offered_prompts)
    if created:
        _mentor_score_recompute(tag=tag)  # feedback from before an opt-out still counts
    return tag, created


@transaction.atomic
def mentor_tag_delete(*, assistant: Assistant) -> None:
    """Opt out: the tag goes, the mentorship logs (and their feedback) stay."""
    deleted, _ = AssistantMentorTag.objects.filter(assistant=assistant).delete()
    if not deleted:
        raise NotFound("This assistant is not a mentor.")


@transaction.atomic
def mentorship_adopt(
    *,
    mentor: Assistant,
    mentee: Assistant,
    mutation_notes: str = "",
    prompts: Sequence[Prompt] | None = None,
) -> PromptMentorshipLog:
    """The mentee adopts a prompt set from a mentor: ``prompts`` ⊆ what the mentor offers
    (default: all of it). Records a PromptMentorshipLog with the set and the mutation notes and
    gives the mentee a licence (source ``mentorship``) to each prompt, all in one transaction."""
    if mentor.owner_id == mentee.owner_id:
        # Any assistant of the mentor's own user: feedback would inflate its own mentor score.
        raise CannotMentorSelf(field="mentee")
    tag = AssistantMentorTag.objects.filter(assistant=mentor).first()
    if tag is None:
        raise NotAMentor()
    # Only offers that are still public can be adopted (one made private since is withdrawn).
    offered = set(tag.offered_prompts.filter(is_public=True).values_list("id", flat=True))
    if prompts is None:
        prompt_ids = sorted(offered)
    else:
        prompt_ids = sorted({p.pk for p in prompts})
        missing = [pid for pid in prompt_ids if pid not in offered]
        if missing:
            raise PromptNotOffered(
                f"Not offered by this mentor: {', '.join(map(str, missing))}.", field="prompts"
            )
    log = PromptMentorshipLog.objects.create(
        mentor=mentor, mentee=mentee, mutation_notes=mutation_notes
    )
    log.prompt_set.set(prompt_ids)
    licences_grant(
        assistant_id=mentee.pk, prompt_ids=prompt_ids, source=PromptLicence.Source.MENTORSHIP
    )
    event_emit(
        type="mentorship.adopted",
        data={
            "mentorship": log.pk,
            "mentor": mentor.pk,
            "mentee": mentee.pk,
            "prompts": prompt_ids,
        },
        recipients=[mentor.owner_id, mentee.owner_id],
    )
    return log


@transaction.atomic
def mentorship_feedback(*, log: PromptMentorshipLog, trust_delta: float) -> PromptMentorshipLog:
    """The mentee's trust feedback in [-1, 1]; giving it again replaces it. The mentor's score
    is recomputed in the same transaction, with the tag row locked so that concurrent feedback
    on the same mentor is applied one after the other."""
    if not (math.isfinite(trust_delta) and -1.0 <= trust_delta <= 1.0):
        raise OutOfRange("trust_delta must be in [-1, 1].", field="trust_delta")
    tag = AssistantMentorTag.objects.select_for_update().filter(assistant_id=log.mentor_id).first()
    now = timezone.now()
    PromptMentorshipLog.objects.filter(pk=log.pk).update(trust_delta=trust_delta, feedback_at=now)
    log.trust_delta, log.feedback_at = trust_delta, now
    if tag is not None:
        _mentor_score_recompute(tag=tag)
    event_emit(
        type="mentorship.feedback",
        data={
            "mentorship": log.pk,
            "mentor": log.mentor_id,
            "mentee": log.mentee_id,
            "trust_delta": trust_delta,
        },
        recipients=[log.mentor.owner_id],
    )
    return log
