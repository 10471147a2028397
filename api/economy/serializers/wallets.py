"""Wallets and ledger entries."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    MoneyField,
)
from economy.models import (
    LedgerEntry,
    Wallet,
)


class WalletSerializer(serializers.ModelSerializer):
    balance = MoneyField(source="balance_cents", read_only=True)

    class Meta:
        model = Wallet
        fields = ["assistant", "balance", "updated_at"]
        read_only_fields = fields


class LedgerEntrySerializer(serializers.ModelSerializer):
    """One movement seen from the wallet: ``direction`` is ``credit`` or ``debit``;
    ``counterparty`` is the other assistant (null for a grant)."""

    amount = MoneyField(source="amount_cents", read_only=True)
    direction = serializers.SerializerMethodField()
    counterparty = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "direction", "amount", "counterparty", "reference", "created_at"]
        read_only_fields = fields

    def _is_credit(self, entry: LedgerEntry) -> bool:
        return entry.payee_id == self.context["wallet"].pk

    @extend_schema_field(serializers.ChoiceField(choices=["credit", "debit"]))
    def get_direction(self, entry: LedgerEntry) -> str:
        return "credit" if self._is_credit(entry) else "debit"

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_counterparty(self, entry: LedgerEntry) -> int | None:
        other = entry.payer if self._is_credit(entry) else entry.payee
        return other.assistant_id if other is not None else None
