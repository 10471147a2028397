from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from . import selectors, services
from .exceptions import DomainError
from .models import CodexClause, Prompt, PromptVersion, Ritual, RitualStep


class LookOnlyMixin:
    """Rows kept by services (money, scores, snapshots): the admin can look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(LookOnlyMixin, admin.ModelAdmin):
    """A model only services write."""


class ReadOnlyInline(LookOnlyMixin, admin.TabularInline):
    extra = 0


class ServiceAdmin(admin.ModelAdmin):
    """Writes go through the services (``save_model``); a rule they refuse is shown as an error
    message and the admin's transaction rolls back, instead of a 500."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, f"{exc.code}: {exc.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changed_fields(self, form, editable: set[str]) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data if name in editable}


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
class PromptAdmin(ServiceAdmin):
    """Prompts are written by assistants through the API; staff may correct the text and
    visibility through ``prompt_update`` (content hash, curriculum exports kept in step)."""

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
        "author",
        "forked_from",
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

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        fields = self.changed_fields(form, {"title", "body", "tags", "codex_clauses", "is_public"})
        if fields:
            services.prompt_update(prompt=obj, **fields)


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnlyAdmin):
    """Versions are immutable: the admin looks, never touches."""

    list_display = ["id", "prompt", "number", "title", "created_by", "created_at"]
    search_fields = ["title", "content_hash"]
    list_select_related = ["prompt", "created_by"]


class RitualStepInline(ReadOnlyInline):
    """Steps change through the API (``ritual_update`` checks the owner may use each prompt)."""

    model = RitualStep
    raw_id_fields = ["prompt"]


@admin.register(Ritual)
class RitualAdmin(ServiceAdmin):
    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["name"]
    raw_id_fields = ["owner"]
    readonly_fields = ["owner"]
    list_select_related = ["owner"]
    inlines = [RitualStepInline]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        fields = self.changed_fields(form, {"name", "description", "codex_clauses"})
        if fields:
            services.ritual_update(ritual=obj, **fields)
