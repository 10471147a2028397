from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    AssistantReflectionChain,
    ChainParticipant,
    PromptMutationRing,
    SwarmTrainingChain,
)


class ChainParticipantInline(ReadOnlyInline):
    model = ChainParticipant
    raw_id_fields = ["assistant"]


# Chains move only through their services (steps under the chain lock): the admin looks.
@admin.register(SwarmTrainingChain)
class SwarmTrainingChainAdmin(ReadOnlyAdmin):
    list_display = ["id", "chain_title", "seed_assistant", "status", "current_step", "max_steps"]
    list_filter = ["status"]
    search_fields = ["chain_title"]
    raw_id_fields = ["seed_assistant"]
    readonly_fields = ["current_step", "belief_delta_tracker", "codex_tension", "status"]
    list_select_related = ["seed_assistant"]
    inlines = [ChainParticipantInline]


@admin.register(ChainParticipant)
class ChainParticipantAdmin(ReadOnlyAdmin):
    list_display = ["id", "chain", "position", "assistant"]
    raw_id_fields = ["chain", "assistant"]
    list_select_related = ["chain", "assistant"]


@admin.register(AssistantReflectionChain)
class AssistantReflectionChainAdmin(ReadOnlyAdmin):
    list_display = ["id", "chain", "step", "assistant", "belief_delta", "created_at"]
    search_fields = ["reflection_notes"]
    raw_id_fields = ["chain", "assistant", "mutation"]
    list_select_related = ["chain", "assistant"]


@admin.register(PromptMutationRing)
class PromptMutationRingAdmin(ReadOnlyAdmin):
    list_display = ["id", "parent_prompt", "mutated_prompt", "belief_delta", "mutation_step"]
    raw_id_fields = ["parent_prompt", "mutated_prompt"]
    list_select_related = ["parent_prompt", "mutated_prompt"]
