from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import (
    AssistantMentorTag,
    BarterOffer,
    CurriculumAdoption,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)


@admin.register(AssistantMentorTag)
class AssistantMentorTagAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "mentor_score", "feedback_count", "updated_at"]
    search_fields = ["assistant__name"]
    raw_id_fields = ["assistant", "offered_prompts"]
    readonly_fields = ["mentor_score", "feedback_count"]
    list_select_related = ["assistant"]


@admin.register(PromptMentorshipLog)
class PromptMentorshipLogAdmin(ReadOnlyAdmin):
    list_display = ["id", "mentor", "mentee", "trust_delta", "feedback_at", "created_at"]
    search_fields = ["mentor__name", "mentee__name", "mutation_notes"]
    raw_id_fields = ["mentor", "mentee", "prompt_set"]
    list_select_related = ["mentor", "mentee"]


@admin.register(RitualTagBundle)
class RitualTagBundleAdmin(ReadOnlyAdmin):
    list_display = ["id", "tag_name", "owner", "created_at"]
    search_fields = ["tag_name"]
    raw_id_fields = ["owner", "rituals"]
    list_select_related = ["owner"]


@admin.register(PromptCurriculumVault)
class PromptCurriculumVaultAdmin(ReadOnlyAdmin):
    """Curricula change through the services (exports rebuilt, alignment checked): look only."""

    list_display = [
        "id",
        "curriculum_title",
        "curator",
        "token_cost_cents",
        "is_active",
        "adopter_count",
    ]
    list_filter = ["is_active"]
    search_fields = ["curriculum_title"]
    raw_id_fields = ["curator", "ritual_tags", "cloned_from"]
    readonly_fields = ["token_cost_cents", "adopter_count", "exported_json"]
    list_select_related = ["curator"]


@admin.register(CurriculumAdoption)
class CurriculumAdoptionAdmin(ReadOnlyAdmin):
    """Adoptions are paid-for history: the admin can look, never touch."""

    list_display = ["id", "curriculum", "assistant", "source", "created_at"]
    list_filter = ["source"]
    list_select_related = ["curriculum", "assistant"]


@admin.register(BarterOffer)
class BarterOfferAdmin(ReadOnlyAdmin):
    list_display = ["id", "offerer", "offered_curriculum", "target_curriculum", "status"]
    list_filter = ["status"]
    raw_id_fields = ["offerer", "offered_curriculum", "target_curriculum"]
    readonly_fields = ["status", "decided_at"]
