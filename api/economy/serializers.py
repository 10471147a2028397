import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.core.serializers import PromptSerializer
from api.fields import (
    ActingAssistantField,
    BoundedJSONObjectField,
    MoneyField,
    TagListField,
    VisiblePromptField,
    VisiblePromptListField,
)
from core.models import Prompt, PromptLicence
from economy import services
from economy.formulas import adopters_over_all_assistants
from economy.models import (
    AssistantPromptTrustMap,
    LedgerEntry,
    PromptMarketplaceVault,
    PromptReputationScore,
    PromptTokenListing,
    Purchase,
    Wallet,
)
from economy.money import format_cents


class UnitFloatField(serializers.FloatField):
    """A finite number in [0, 1]."""

    default_error_messages = {"not_finite": "Must be a finite number."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0.0)
        kwargs.setdefault("max_value", 1.0)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class UniqueTagListField(TagListField):
    """Tags, each kept once in the order given (a tag counts once per rating)."""

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


# --- Wallets ----------------------------------------------------------------------------------


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


# --- Reputation -------------------------------------------------------------------------------


class RatingCreateSerializer(serializers.Serializer):
    rater = ActingAssistantField()
    ritual_effectiveness = UnitFloatField()
    assistant_approval = UnitFloatField()
    user_rating_tags = UniqueTagListField(default=list)
    symbolic_tags = UniqueTagListField(default=list)


class RatingSerializer(serializers.ModelSerializer):
    """A rating entry; ``trust_score`` is this entry's own (the weighted inputs)."""

    user_rating_tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    symbolic_tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PromptReputationScore
        fields = [
            "id",
            "prompt",
            "rater",
            "ritual_effectiveness",
            "assistant_approval",
            "user_rating_tags",
            "symbolic_tags",
            "trust_score",
            "created_at",
        ]
        read_only_fields = fields


class RatingMeansSerializer(serializers.Serializer):
    ritual_effectiveness = serializers.FloatField(allow_null=True)
    assistant_approval = serializers.FloatField(allow_null=True)
    trust_score = serializers.FloatField(
        allow_null=True, help_text="Plain mean of the entries' own trust scores."
    )


class ReputationSerializer(serializers.Serializer):
    """A prompt's reputation. ``trust_score`` is the Bayesian aggregate; ``entries`` are the
    newest ``entries_limit`` ratings (the sources), the whole feed is ``ratings_url``."""

    prompt = serializers.IntegerField()
    trust_score = serializers.FloatField()
    rating_count = serializers.IntegerField()
    means = RatingMeansSerializer()
    user_rating_tags = serializers.DictField(
        child=serializers.IntegerField(), help_text="Tag → number of ratings carrying it."
    )
    symbolic_tags = serializers.DictField(
        child=serializers.IntegerField(), help_text="Tag → number of ratings carrying it."
    )
    entries = RatingSerializer(many=True)
    entries_limit = serializers.IntegerField()
    ratings_url = serializers.CharField()


# --- Market -----------------------------------------------------------------------------------


class ListingPromptSerializer(serializers.ModelSerializer):
    """The listed prompt; ``body`` is null unless the caller may read it."""

    body = serializers.CharField(allow_null=True, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Prompt
        fields = ["id", "title", "author", "tags", "trust_score", "rating_count", "body"]
        read_only_fields = fields


@extend_schema_field(ListingPromptSerializer)
class ListingPromptField(serializers.Field):
    """The listing's prompt, built straight from the joined row: one field instance serves the
    whole page (a nested serializer per row cost more than the query). The body follows the
    listing's ``prompt_body_visible`` annotation."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, listing: PromptTokenListing) -> dict:
        prompt = listing.prompt
        return {
            "id": prompt.pk,
            "title": prompt.title,
            "author": prompt.author_id,
            "tags": list(prompt.tags),
            "trust_score": prompt.trust_score,
            "rating_count": prompt.rating_count,
            "body": prompt.body if getattr(listing, "prompt_body_visible", False) else None,
        }


class ListingSerializer(serializers.ModelSerializer):
    """A market listing. ``seller`` is the prompt's author; ``swarm_adoption_score`` =
    distinct assistants that bought or injected it / all assistants (read-only)."""

    prompt = ListingPromptField()
    seller = serializers.IntegerField(source="prompt.author_id", read_only=True)
    token_cost = MoneyField(source="token_cost_cents", read_only=True)
    swarm_adoption_score = serializers.SerializerMethodField()

    class Meta:
        model = PromptTokenListing
        fields = [
            "id",
            "prompt",
            "seller",
            "token_cost",
            "symbolic_tag_weight",
            "codex_usage_score",
            "swarm_adoption_score",
            "adopter_count",
            "is_active",
            "listed_at",
            "delisted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(min_value=0, max_value=1))
    def get_swarm_adoption_score(self, listing: PromptTokenListing) -> float:
        return adopters_over_all_assistants(
            adopters=listing.adopter_count, assistants=self.context["view"].assistants_total
        )


class ListingUpdateSerializer(serializers.Serializer):
    token_cost = MoneyField(source="token_cost_cents")
    symbolic_tag_weight = UnitFloatField(default=0.0)
    codex_usage_score = UnitFloatField(default=0.0)


class ListingCreateSerializer(ListingUpdateSerializer):
    prompt = VisiblePromptField(help_text="A public prompt of one of your assistants.")


class BuySerializer(serializers.Serializer):
    buyer = ActingAssistantField()
    expected_price = MoneyField(
        required=False,
        help_text="Pin the price you saw: 409 `price_changed` (nothing charged) if it differs.",
    )
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Pin the version number you saw: 409 `version_changed` if a newer one exists.",
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


class AssistantActionSerializer(serializers.Serializer):
    assistant = ActingAssistantField()


class ForkSerializer(AssistantActionSerializer):
    title = serializers.CharField(max_length=150, required=False)


# --- Trust maps -------------------------------------------------------------------------------


class TrustMapSerializer(serializers.ModelSerializer):
    prompt_title = serializers.CharField(source="prompt.title", read_only=True)

    class Meta:
        model = AssistantPromptTrustMap
        fields = [
            "id",
            "assistant",
            "prompt",
            "prompt_title",
            "resonance_score",
            "symbolic_compliance",
            "dreamframe_volatility",
            "mutation_bias",
            "observation_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InjectionSerializer(serializers.Serializer):
    assistant = serializers.IntegerField(source="injection.assistant_id")
    prompt = serializers.IntegerField(source="injection.prompt_id")
    injected_at = serializers.DateTimeField(source="injection.injected_at")
    created = serializers.BooleanField(help_text="False when it was already injected.")
    trust_map = TrustMapSerializer()


class TrustObservationSerializer(serializers.Serializer):
    prompt = VisiblePromptField()
    resonance = UnitFloatField()
    symbolic_compliance = UnitFloatField()
    mutation_bias = UnitFloatField()


# --- Vaults -----------------------------------------------------------------------------------


class VaultSerializer(serializers.ModelSerializer):
    prompts = serializers.SerializerMethodField()
    exported_json = serializers.JSONField(read_only=True)

    class Meta:
        model = PromptMarketplaceVault
        fields = [
            "id",
            "owner_assistant",
            "name",
            "prompts",
            "symbolic_signature",
            "exported_json",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_prompts(self, vault: PromptMarketplaceVault) -> list[int]:
        return [p.pk for p in vault.prompt_set.all()]


class VaultCreateSerializer(serializers.Serializer):
    owner_assistant = ActingAssistantField()
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=services.VAULT_MAX_PROMPTS,
        help_text="Ids of prompts whose bodies the owner may read.",
    )


class VaultExportSerializer(serializers.Serializer):
    exported_json = serializers.JSONField()
    symbolic_signature = serializers.CharField()


@extend_schema_field(OpenApiTypes.OBJECT)
class ExportedJSONField(BoundedJSONObjectField):
    pass


class VaultImportSerializer(serializers.Serializer):
    assistant = ActingAssistantField()
    exported_json = ExportedJSONField(max_bytes=1024 * 1024)
    symbolic_signature = serializers.CharField(max_length=128, trim_whitespace=False)


class VaultImportResultSerializer(serializers.Serializer):
    prompts = PromptSerializer(many=True, help_text="The prompts created for the assistant.")


class LicenceSerializer(serializers.ModelSerializer):
    """A licence: the version it was granted at (its holder reads that one and every later one
    while ``state`` is ``active``). ``price``: what its purchase charged ("0.00" for a free
    listing); null for licences from mentorship or curricula."""

    version = serializers.IntegerField(source="version.number", read_only=True)
    price = serializers.SerializerMethodField()

    class Meta:
        model = PromptLicence
        fields = ["id", "prompt", "version", "source", "state", "price", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_price(self, licence: PromptLicence) -> str | None:
        if licence.source != PromptLicence.Source.PURCHASE:
            return None
        return format_cents(getattr(licence, "paid_cents", None) or 0)
