from django.contrib import admin

from . import selectors, services
from .models import Assistant, CodexClause, Prompt, Ritual, RitualStep


@admin.register(Assistant)
class AssistantAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new assistant gets its wallet and grant, as through the API.
        created = services.assistant_create(
            owner=obj.owner, name=obj.name, description=obj.description
        )
        obj.pk = created.pk
        obj.created_at = created.created_at


@admin.register(CodexClause)
class CodexClauseAdmin(admin.ModelAdmin):
    list_display = ["code", "text", "created_at"]
    search_fields = ["code", "text"]

    def get_readonly_fields(self, request, obj=None):
        # Renaming a clause would orphan every list that names it.
        return ["code"] if obj is not None else []

    def get_actions(self, request):
        # One clause at a time, through the service's in-use check.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and selectors.codex_clause_in_use(code=obj.code):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.codex_clause_delete(clause=obj)


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
    readonly_fields = ["content_hash", "trust_score", "rating_count", "rating_sum", "fork_count"]
    list_select_related = ["author"]


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
