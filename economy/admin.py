from django.contrib import admin, messages

from core import services as core_services
from core.admin import ReadOnlyAdmin, ServiceAdmin
from core.models import Assistant, PromptLicence

from . import services
from .models import (
    AssistantPromptTrustMap,
    IdempotencyKey,
    LedgerEntry,
    ListingAdoption,
    PromptInjection,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Wallet,
)


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "balance_cents", "updated_at"]
    search_fields = ["assistant__name"]
    list_select_related = ["assistant"]
    actions = ["grant_tokens"]

    def has_grant_permission(self, request) -> bool:
        # Minting tokens is a ledger write: staff who may add ledger entries (superusers).
        return request.user.has_perm("economy.add_ledgerentry")

    @admin.action(description="Grant TOKEN_GRANT to each selected wallet", permissions=["grant"])
    def grant_tokens(self, request, queryset):
        amount = services.grant_cents()
        for wallet in queryset:
            services.wallet_grant(wallet=wallet, amount_cents=amount, granted_by=request.user)
        self.message_user(request, f"Granted to {len(queryset)} wallet(s).", messages.SUCCESS)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "payer", "payee", "amount_cents", "reference", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["payer", "payee"]


@admin.register(PromptTokenListing)
class PromptTokenListingAdmin(ReadOnlyAdmin):
    list_display = ["id", "prompt", "token_cost_cents", "adopter_count", "is_active", "listed_at"]
    list_filter = ["is_active"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["token_cost_cents", "adopter_count"]


@admin.register(PromptLicence)
class PromptLicenceAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "prompt", "version", "source", "state", "created_at"]
    list_filter = ["source", "state"]
    list_select_related = ["assistant", "prompt", "version"]


@admin.register(Assistant)
class AssistantAdmin(ServiceAdmin):
    """Registered by economy: a new assistant comes with its wallet and grant, as through
    the API (``services.assistant_open``); edits go through ``assistant_update``."""

    list_display = ["id", "name", "owner", "created_at"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]

    def get_readonly_fields(self, request, obj=None):
        # Moving an assistant to another user would move its grant (SPEC 2) with it.
        return ["owner"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            fields = self.changed_fields(form, {"name", "description"})
            if fields:
                core_services.assistant_update(assistant=obj, **fields)
            return
        created = services.assistant_open(
            owner=obj.owner, name=obj.name, description=obj.description
        )
        obj.pk = created.pk
        obj.created_at = created.created_at


@admin.register(ListingAdoption)
class ListingAdoptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "listing", "assistant", "kind", "created_at"]
    list_filter = ["kind"]


@admin.register(PromptInjection)
class PromptInjectionAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "prompt", "injected_at"]
    raw_id_fields = ["assistant", "prompt"]


@admin.register(PromptReputationScore)
class PromptReputationScoreAdmin(ReadOnlyAdmin):
    """Ratings are read-only; deleting one (moderation) goes through ``prompt_rating_delete`` so
    the prompt's aggregate moves back in the same transaction."""

    list_display = ["id", "prompt", "rater", "trust_score", "created_at"]
    list_select_related = ["prompt", "rater"]

    def has_delete_permission(self, request, obj=None):
        # The model's own delete permission, not ReadOnlyAdmin's blanket refusal.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj):
        services.prompt_rating_delete(entry=obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.prompt_rating_delete(entry=entry)


@admin.register(AssistantPromptTrustMap)
class AssistantPromptTrustMapAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "assistant",
        "prompt",
        "resonance_score",
        "symbolic_compliance",
        "dreamframe_volatility",
        "observation_count",
    ]
    raw_id_fields = ["assistant", "prompt"]


@admin.register(PromptMarketplaceVault)
class PromptMarketplaceVaultAdmin(ReadOnlyAdmin):
    list_display = ["id", "owner_assistant", "name", "created_at"]
    raw_id_fields = ["owner_assistant", "prompt_set"]
    readonly_fields = ["symbolic_signature", "exported_json"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "key", "scope", "state", "response_status", "created_at"]
    list_filter = ["scope", "state"]
    search_fields = ["key"]

    def has_delete_permission(self, request, obj=None):
        return True  # purging old keys is harmless
