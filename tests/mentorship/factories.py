"""Builders for mentorship and curriculum rows. They go through the services, as in production."""

from core.models import Assistant, Prompt
from mentorship import services
from mentorship.models import AssistantMentorTag, PromptCurriculumVault, RitualTagBundle
from tests.factories import PromptFactory, RitualFactory


def mentor_make(
    assistant: Assistant, *, prompts: int = 2, notes: str = "Ask me."
) -> AssistantMentorTag:
    offered = [PromptFactory(author=assistant) for _ in range(prompts)]
    tag, _ = services.mentor_tag_set(
        assistant=assistant, mentorship_notes=notes, offered_prompts=offered
    )
    return tag


def bundle_make(
    owner: Assistant, *, steps: int = 2, tag_name: str = "dawn", prompts: list[Prompt] | None = None
) -> RitualTagBundle:
    step_prompts = (
        prompts if prompts is not None else [PromptFactory(author=owner) for _ in range(steps)]
    )
    ritual = RitualFactory(owner=owner, steps=step_prompts)
    return services.bundle_create(owner=owner, tag_name=tag_name, rituals=[ritual])


def curriculum_make(
    curator: Assistant,
    *,
    cost_cents: int = 1000,
    bundles: list[RitualTagBundle] | None = None,
    steps: int = 2,
    **fields,
) -> PromptCurriculumVault:
    if bundles is None:
        bundles = [bundle_make(curator, steps=steps)]
    return services.curriculum_create(
        curator=curator,
        curriculum_title=fields.pop("curriculum_title", "Curriculum of dawn"),
        ritual_tags=bundles,
        token_cost_cents=cost_cents,
        **fields,
    )
