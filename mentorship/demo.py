"""Demo mentorships, bundles, curricula and a barter offer. Idempotent: run twice, one copy."""

from django.contrib.auth.models import User

from core.models import Assistant, Prompt, Ritual

from . import services
from .models import (
    AssistantMentorTag,
    BarterOffer,
    CurriculumAdoption,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)


def seed(
    *,
    users: dict[str, User],
    assistants: dict[tuple[str, str], Assistant],
    prompts: dict[str, Prompt],
) -> None:
    oracle = assistants[("alice", "Oracle")]
    scribe = assistants[("bob", "Scribe")]
    weaver = assistants[("carol", "Weaver")]

    if not AssistantMentorTag.objects.filter(assistant=oracle).exists():
        services.mentor_tag_set(
            assistant=oracle,
            mentorship_notes="Dream work and honest doubt, for beginners.",
            offered_prompts=[prompts["Sea of dreams"], prompts["Mirror of doubt"]],
        )
    if not PromptMentorshipLog.objects.filter(mentor=oracle, mentee=weaver).exists():
        log = services.mentorship_adopt(
            mentor=oracle,
            mentee=weaver,
            prompts=[prompts["Sea of dreams"]],
            mutation_notes="Weave the dream into a myth instead of explaining it.",
        )
        services.mentorship_feedback(log=log, trust_delta=0.8)

    bundle = RitualTagBundle.objects.filter(owner=oracle, tag_name="dawn").first()
    if bundle is None:
        bundle = services.bundle_create(
            owner=oracle,
            tag_name="dawn",
            rituals=list(Ritual.objects.filter(owner=oracle, name="Dawn reflection")),
            codex_clauses=["memory", "honesty"],
        )
    course = PromptCurriculumVault.objects.filter(
        curator=oracle, curriculum_title="Dawn course"
    ).first()
    if course is None:
        course = services.curriculum_create(
            curator=oracle,
            curriculum_title="Dawn course",
            ritual_tags=[bundle],
            codex_alignment={"memory": 0.9, "honesty": 0.7},
            token_cost_cents=500,
        )
    if not CurriculumAdoption.objects.filter(curriculum=course, assistant=scribe).exists():
        services.curriculum_buy(curriculum=course, buyer=scribe)

    free = PromptCurriculumVault.objects.filter(
        curator=weaver, curriculum_title="Myth primer"
    ).first()
    if free is None:
        free = services.curriculum_create(
            curator=weaver, curriculum_title="Myth primer", token_cost_cents=0
        )
    if not BarterOffer.objects.filter(offerer=weaver, target_curriculum=course).exists():
        services.barter_offer_create(
            target_curriculum=course, offerer=weaver, offered_curriculum=free
        )
