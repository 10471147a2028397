"""Purchases, the answer to a buy, and refunds."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    MoneyField,
)
from economy.models import (
    Purchase,
)


class PurchaseSerializer(serializers.ModelSerializer):
    """A sale of a listing's prompt: the ``version`` sold with its ``content_hash``, the price,
    the licence it gave and, once refunded, the refund."""

    price = MoneyField(source="price_cents", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    content_hash = serializers.CharField(source="version.content_hash", read_only=True)
    refund_amount = serializers.SerializerMethodField()

    class Meta:
        model = Purchase
        fields = [
            "id",
            "listing",
            "prompt",
            "buyer",
            "seller",
            "version",
            "content_hash",
            "price",
            "licence",
            "ledger_entry",
            "state",
            "created_at",
            "refunded_at",
            "refund_amount",
            "refund_entry",
            "refund_reason",
        ]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "nullable": True, "example": "10.00"})
    def get_refund_amount(self, obj: Purchase) -> str | None:
        """What the refund returned (the price paid); null until refunded."""
        if obj.state != Purchase.State.REFUNDED:
            return None
        return MoneyField().to_representation(obj.price_cents)


class BuyResultSerializer(PurchaseSerializer):
    """The purchase as the buy's transaction made it, and the buyer's balance it left."""

    buyer_balance = MoneyField(read_only=True, help_text="The buyer's balance after the purchase.")

    class Meta(PurchaseSerializer.Meta):
        fields = [*PurchaseSerializer.Meta.fields, "buyer_balance"]
        read_only_fields = fields


class RefundSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RefundResultSerializer(PurchaseSerializer):
    """The refunded purchase and both balances the refund left, read inside its transaction."""

    buyer_balance = MoneyField(read_only=True, help_text="The buyer's balance after the refund.")
    seller_balance = MoneyField(read_only=True, help_text="The seller's balance after the refund.")

    class Meta(PurchaseSerializer.Meta):
        fields = [*PurchaseSerializer.Meta.fields, "buyer_balance", "seller_balance"]
        read_only_fields = fields
