import math

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    BoundedJSONObjectField,
    ClauseCodeListField,
    MoneyField,
    VisiblePromptListField,
)
from api.filters import MAX_ID
from core.models import Prompt, Ritual
from mentorship.formulas import bundle_adoption_metric, curriculum_adoption_rate
from mentorship.models import (
    AssistantMentorTag,
    BarterOffer,
    PromptCurriculumVault,
    PromptMentorshipLog,
    RitualTagBundle,
)

NOTES_MAX = 5000


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number ("nan"/"inf" strings are a 400, not a pass)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


class PrimaryKeyListField(serializers.ListField):
    """Ids of ``queryset`` rows, resolved in one query; order kept, duplicates dropped."""

    default_error_messages = {
        "does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.',
    }

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ids = list(dict.fromkeys(super().to_internal_value(data)))
        found = self.queryset.in_bulk(ids)
        for pk in ids:
            if pk not in found:
                self.fail("does_not_exist", pk_value=pk)
        return [found[pk] for pk in ids]

    def to_representation(self, data):
        return [obj.pk for obj in data.all()]


# Mentorship ---------------------------------------------------------------------------------


class MentorTagWriteSerializer(serializers.Serializer):
    mentorship_notes = serializers.CharField(
        max_length=NOTES_MAX, allow_blank=True, required=False, default=""
    )
    offered_prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=100,
        help_text="Ids of the assistant's own public prompts it offers to mentees.",
    )


class MentorTagSerializer(serializers.ModelSerializer):
    offered_prompts = PrimaryKeyListField(queryset=Prompt.objects.all(), read_only=True)

    class Meta:
        model = AssistantMentorTag
        fields = [
            "assistant",
            "mentorship_notes",
            "offered_prompts",
            "mentor_score",
            "feedback_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MentorshipLogSerializer(serializers.ModelSerializer):
    """A mentorship. ``trust_delta`` is null until the mentee's owner gives feedback."""

    prompt_set = PrimaryKeyListField(queryset=Prompt.objects.all(), read_only=True)
    trust_delta = serializers.SerializerMethodField()

    class Meta:
        model = PromptMentorshipLog
        fields = [
            "id",
            "mentor",
            "mentee",
            "prompt_set",
            "mutation_notes",
            "trust_delta",
            "feedback_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_trust_delta(self, obj) -> float | None:
        return obj.trust_delta if obj.feedback_at is not None else None


class OfferedPromptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ["id", "title", "trust_score"]
        read_only_fields = fields


class MentorshipOverviewSerializer(serializers.Serializer):
    """An assistant's mentorship page: its tag (if it mentors) and its latest mentorships."""

    assistant = serializers.IntegerField()
    is_mentor = serializers.BooleanField()
    mentorship_notes = serializers.CharField(allow_null=True)
    mentor_score = serializers.FloatField(allow_null=True)
    feedback_count = serializers.IntegerField()
    offered_prompts = OfferedPromptSerializer(many=True)
    mentorships_given = MentorshipLogSerializer(many=True, help_text="The latest 10, newest first.")
    mentorships_received = MentorshipLogSerializer(
        many=True, help_text="The latest 10, newest first."
    )


class MentorshipAdoptSerializer(serializers.Serializer):
    mentee = ActingAssistantField(help_text="The acting assistant that adopts; one of yours.")
    prompts = VisiblePromptListField(
        distinct=True,
        min_length=1,
        max_length=100,
        required=False,
        help_text="A subset of the offered prompts; all of them when omitted.",
    )
    mutation_notes = serializers.CharField(
        max_length=NOTES_MAX, allow_blank=True, required=False, default=""
    )


class MentorshipFeedbackSerializer(serializers.Serializer):
    trust_delta = FiniteFloatField(min_value=-1.0, max_value=1.0)


# Ritual tag bundles -------------------------------------------------------------------------


class RitualTagBundleSerializer(serializers.ModelSerializer):
    """A bundle of its owner's rituals. ``adoption_metric`` = distinct adopters of curricula
    containing it / all assistants (read-only)."""

    owner = ActingAssistantField()
    rituals = PrimaryKeyListField(
        queryset=Ritual.objects.select_related("owner"),
        default=list,
        help_text="Ids of rituals owned by assistants of the bundle owner's user.",
    )
    codex_clauses = ClauseCodeListField(default=list)
    adoption_metric = serializers.SerializerMethodField()

    class Meta:
        model = RitualTagBundle
        fields = [
            "id",
            "owner",
            "tag_name",
            "rituals",
            "codex_clauses",
            "adoption_metric",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "adoption_metric", "created_at", "updated_at"]

    def get_adoption_metric(self, obj) -> float:
        return bundle_adoption_metric(
            adopters=getattr(obj, "adopters", 0), assistants=self.context["assistants_count"]
        )


class RitualTagBundleUpdateSerializer(RitualTagBundleSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[assignment,var-annotated]


# Curricula ----------------------------------------------------------------------------------


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
        queryset=RitualTagBundle.objects.all(), default=list, help_text="Ids of ritual bundles."
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


class CurriculumBarterSerializer(serializers.Serializer):
    offerer = ActingAssistantField(help_text="Curator of the offered curriculum; one of yours.")
    offered_curriculum = serializers.PrimaryKeyRelatedField(
        queryset=PromptCurriculumVault.objects.select_related("curator")
    )


class BarterOfferSerializer(serializers.ModelSerializer):
    target_curator = serializers.IntegerField(source="target_curriculum.curator_id", read_only=True)

    class Meta:
        model = BarterOffer
        fields = [
            "id",
            "offerer",
            "offered_curriculum",
            "target_curriculum",
            "target_curator",
            "status",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields
