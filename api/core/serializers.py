from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    ClauseCodeListField,
    TagListField,
    VisiblePromptListField,
)
from core.models import Assistant, CodexClause, Prompt, Ritual

PROMPT_BODY_MAX = 20_000


class AssistantSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Assistant
        fields = ["id", "owner", "name", "description", "created_at"]
        read_only_fields = ["id", "owner", "created_at"]
        extra_kwargs = {"description": {"max_length": 2000}}


class PromptSerializer(serializers.ModelSerializer):
    """A prompt as read. ``body`` is null when it is for sale and the caller holds no licence."""

    body = serializers.CharField(allow_null=True, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    codex_clauses = serializers.ListField(child=serializers.CharField(), read_only=True)
    is_for_sale = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Prompt
        fields = [
            "id",
            "author",
            "title",
            "body",
            "tags",
            "codex_clauses",
            "is_public",
            "forked_from",
            "content_hash",
            "trust_score",
            "rating_count",
            "fork_count",
            "is_for_sale",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "body_visible", True):
            data["body"] = None
        return data


class PromptUpdateSerializer(serializers.ModelSerializer):
    """Fields an author may change. ``content_hash`` follows the body."""

    body = serializers.CharField(max_length=PROMPT_BODY_MAX, trim_whitespace=False)
    tags = TagListField()
    codex_clauses = ClauseCodeListField()

    class Meta:
        model = Prompt
        fields = ["title", "body", "tags", "codex_clauses", "is_public"]


class PromptCreateSerializer(PromptUpdateSerializer):
    author = ActingAssistantField()

    class Meta(PromptUpdateSerializer.Meta):
        fields = ["author", *PromptUpdateSerializer.Meta.fields]


class PromptForkSerializer(serializers.Serializer):
    assistant = ActingAssistantField()
    title = serializers.CharField(max_length=150, required=False)


class RitualStepsField(VisiblePromptListField):
    """Ordered prompt ids in, ordered prompt ids out (from the prefetched RitualStep rows)."""

    def to_representation(self, data):
        return [step.prompt_id for step in data.all()]


class RitualSerializer(serializers.ModelSerializer):
    """A ritual: ordered prompt steps. ``owner`` is the acting assistant on create, fixed after."""

    owner = ActingAssistantField()
    steps = RitualStepsField(
        max_length=100,
        default=list,
        help_text="Ordered prompt ids; the owner must be able to read each.",
    )
    codex_clauses = ClauseCodeListField(default=list)

    class Meta:
        model = Ritual
        fields = [
            "id",
            "owner",
            "name",
            "description",
            "steps",
            "codex_clauses",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"description": {"max_length": 5000}}


class RitualUpdateSerializer(RitualSerializer):
    owner = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[assignment,var-annotated]


class CodexClauseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CodexClause
        fields = ["code", "text", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"text": {"max_length": 5000}}


class CodexClauseUpdateSerializer(CodexClauseSerializer):
    """A clause's code is its identity, named in prompts and curricula: it never changes."""

    class Meta(CodexClauseSerializer.Meta):
        read_only_fields = ["code", "created_at"]
