from django.contrib import admin

from .models import CodexClause, Prompt, PromptVersion, Ritual, RitualStep


@admin.register(CodexClause)
class CodexClauseAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "created_at"]
    search_fields = ["code", "text"]


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "author",
        "is_public",
        "trust_score",
        "rating_count",
        "fork_count",
    ]
    list_filter = ["is_public"]
    search_fields = ["title", "content_hash"]
    raw_id_fields = ["author", "forked_from"]
    readonly_fields = [
        "content_hash",
        "version",
        "is_listed",
        "is_for_sale",
        "trust_score",
        "rating_count",
        "rating_sum",
        "fork_count",
    ]
    list_select_related = ["author"]


@admin.register(PromptVersion)
class PromptVersionAdmin(admin.ModelAdmin):
    """Versions are immutable: the admin looks, never touches."""

    list_display = ["id", "prompt", "number", "title", "created_by", "created_at"]
    search_fields = ["title", "content_hash"]
    list_select_related = ["prompt", "created_by"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RitualStepInline(admin.TabularInline):
    model = RitualStep
    raw_id_fields = ["prompt"]
    extra = 0


@admin.register(Ritual)
class RitualAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]
    inlines = [RitualStepInline]
