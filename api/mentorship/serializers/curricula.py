"""Curricula on the market and what an assistant does with one: buy, clone."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    BoundedJSONObjectField,
    MoneyField,
    PrimaryKeyListField,
)
from mentorship.formulas import curriculum_adoption_rate
from mentorship.models import (
    PromptCurriculumVault,
    RitualTagBundle,
)


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        "description": "Codex clause code → alignment in [0, 1].",
    }
)
class CodexAlignmentField(BoundedJSONObjectField):
    pass


class PromptCurriculumVaultSerializer(serializers.ModelSerializer):
    """A curriculum on the market. ``adoption_rate`` (distinct adopters / all assistants),
    ``adopter_count`` and ``exported_json`` are the server's."""

    curator = ActingAssistantField()
    ritual_tags = PrimaryKeyListField(
        queryset=RitualTagBundle.objects.all(),
        distinct=True,
        max_length=100,
        default=list,
        help_text="Ids of ritual bundles.",
    )
    codex_alignment = CodexAlignmentField(max_bytes=8 * 1024, default=dict)
    token_cost = MoneyField(source="token_cost_cents", default=0)
    adoption_rate = serializers.SerializerMethodField()
    exported_json = serializers.JSONField(read_only=True)

    class Meta:
        model = PromptCurriculumVault
        fields = [
            "id",
            "curator",
            "curriculum_title",
            "ritual_tags",
            "codex_alignment",
            "token_cost",
            "is_active",
            "adopter_count",
            "adoption_rate",
            "exported_json",
            "cloned_from",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "adopter_count",
            "adoption_rate",
            "exported_json",
            "cloned_from",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_adoption_rate(self, obj) -> float:
        return curriculum_adoption_rate(
            adopter_count=obj.adopter_count, assistants=self.context["assistants_count"]
        )


class PromptCurriculumVaultUpdateSerializer(PromptCurriculumVaultSerializer):
    curator = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[assignment,var-annotated]


class CurriculumBuySerializer(serializers.Serializer):
    buyer = ActingAssistantField()
    expected_price = MoneyField(
        required=False,
        help_text="Pin the price you saw: 409 `price_changed` (nothing charged) if it differs.",
    )


class CurriculumPurchaseSerializer(serializers.Serializer):
    curriculum = serializers.IntegerField()
    buyer = serializers.IntegerField()
    amount = MoneyField(help_text="Tokens paid (the same as `price`; kept for older clients).")
    price = MoneyField(help_text="The price charged, read under the curriculum's lock.")
    buyer_balance = MoneyField(help_text="The buyer's balance after the purchase.")
    ledger_entry = serializers.IntegerField(
        allow_null=True, help_text="The curriculum_purchase entry; null when it was free."
    )


class CurriculumCloneSerializer(serializers.Serializer):
    assistant = ActingAssistantField(help_text="Becomes the curator of the copy; one of yours.")
