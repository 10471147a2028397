"""Reads of mentorship and curricula, and the derived numbers (one function per formula)."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet

from core.models import Assistant, Prompt, Ritual, RitualStep

from .models import (
    AssistantMentorTag,
    BarterOffer,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)

RECENT_MENTORSHIPS = 10


def mentorships_all() -> QuerySet[PromptMentorshipLog]:
    return PromptMentorshipLog.objects.select_related("mentor", "mentee").prefetch_related(
        Prefetch("prompt_set", queryset=Prompt.objects.only("id").order_by("id"))
    )


def mentor_tag_for(assistant: Assistant) -> AssistantMentorTag | None:
    return (
        AssistantMentorTag.objects.filter(assistant=assistant)
        .prefetch_related(
            Prefetch(
                "offered_prompts",
                # Offers are public prompts; one made private since then is no longer shown.
                queryset=Prompt.objects.filter(is_public=True)
                .only("id", "title", "trust_score")
                .order_by("id"),
            )
        )
        .first()
    )


def mentorships_given_recent(assistant: Assistant) -> list[PromptMentorshipLog]:
    return list(mentorships_all().filter(mentor=assistant).order_by("-id")[:RECENT_MENTORSHIPS])


def mentorships_received_recent(assistant: Assistant) -> list[PromptMentorshipLog]:
    return list(mentorships_all().filter(mentee=assistant).order_by("-id")[:RECENT_MENTORSHIPS])


def bundles_all() -> QuerySet[RitualTagBundle]:
    """Bundles with ``adopters``: distinct assistants that adopted a curriculum containing it."""
    return (
        RitualTagBundle.objects.select_related("owner")
        .prefetch_related(Prefetch("rituals", queryset=Ritual.objects.only("id").order_by("id")))
        .annotate(adopters=Count("curricula__adoptions__assistant", distinct=True))
    )


def curricula_all() -> QuerySet[PromptCurriculumVault]:
    return PromptCurriculumVault.objects.select_related("curator").prefetch_related(
        Prefetch("ritual_tags", queryset=RitualTagBundle.objects.only("id").order_by("id"))
    )


def curricula_for_export() -> QuerySet[PromptCurriculumVault]:
    """Curricula with everything ``exported_json`` needs, in a constant number of queries."""
    steps = RitualStep.objects.select_related("prompt").order_by("position")
    rituals = Ritual.objects.prefetch_related(Prefetch("steps", queryset=steps)).order_by("id")
    bundles = RitualTagBundle.objects.prefetch_related(
        Prefetch("rituals", queryset=rituals)
    ).order_by("id")
    return PromptCurriculumVault.objects.prefetch_related(Prefetch("ritual_tags", queryset=bundles))


def curriculum_licensable_prompt_ids(curriculum: PromptCurriculumVault) -> list[int]:
    """Step prompts an adopter gets a licence to: those authored by the curator's own user
    (a curator can hand out only what it could sell; other authors' prompts stay theirs)."""
    return list(
        Prompt.objects.filter(
            ritual_steps__ritual__tag_bundles__curricula=curriculum,
            author__owner_id=curriculum.curator.owner_id,
        )
        .order_by("id")
        .values_list("id", flat=True)
        .distinct()
    )


def barters_visible_to(user: User | AnonymousUser) -> QuerySet[BarterOffer]:
    """Offers are private to their parties (the offerer's and the target curator's users);
    staff see all."""
    qs = BarterOffer.objects.select_related(
        "offerer", "offered_curriculum", "target_curriculum__curator"
    )
    if user.is_authenticated and user.is_staff:
        return qs
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(Q(offerer__owner=user) | Q(target_curriculum__curator__owner=user))
