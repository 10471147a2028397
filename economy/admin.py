from django.contrib import admin, messages

from . import services
from .models import (
    AssistantPromptTrustMap,
    IdempotencyKey,
    LedgerEntry,
    ListingAdoption,
    PromptInjection,
    PromptLicence,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Wallet,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records change only through services: the admin can look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(PromptTokenListing)
class PromptTokenListingAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "token_cost_cents", "adopter_count", "is_active", "listed_at"]
    list_filter = ["is_active"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["token_cost_cents", "adopter_count"]


@admin.register(PromptLicence)
class PromptLicenceAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "prompt", "source", "created_at"]
    list_filter = ["source"]


@admin.register(ListingAdoption)
class ListingAdoptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "listing", "assistant", "kind", "created_at"]
    list_filter = ["kind"]


@admin.register(PromptInjection)
class PromptInjectionAdmin(admin.ModelAdmin):
    list_display = ["id", "assistant", "prompt", "injected_at"]
    raw_id_fields = ["assistant", "prompt"]


@admin.register(PromptReputationScore)
class PromptReputationScoreAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "rater", "trust_score", "created_at"]
    raw_id_fields = ["prompt", "rater"]
    # The prompt's aggregate is kept by economy.services.prompt_rate: edits here would skew it.
    readonly_fields = [
        "prompt",
        "rater",
        "ritual_effectiveness",
        "assistant_approval",
        "user_rating_tags",
        "symbolic_tags",
        "trust_score",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssistantPromptTrustMap)
class AssistantPromptTrustMapAdmin(admin.ModelAdmin):
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
class PromptMarketplaceVaultAdmin(admin.ModelAdmin):
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
