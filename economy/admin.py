from django.contrib import admin

from .models import LedgerEntry, PromptLicence, PromptTokenListing, Wallet


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


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "payer", "payee", "amount_cents", "reference", "created_at"]
    list_filter = ["kind"]


@admin.register(PromptTokenListing)
class PromptTokenListingAdmin(admin.ModelAdmin):
    list_display = ["id", "prompt", "token_cost_cents", "is_active", "listed_at"]
    list_filter = ["is_active"]
    raw_id_fields = ["prompt"]
    readonly_fields = ["token_cost_cents"]


@admin.register(PromptLicence)
class PromptLicenceAdmin(ReadOnlyAdmin):
    list_display = ["id", "assistant", "prompt", "source", "created_at"]
    list_filter = ["source"]
