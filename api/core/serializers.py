from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    ClauseCodeListField,
    TagListField,
    VisiblePromptListField,
)
from core.models import Assistant, CodexClause, Prompt, PromptLabel, PromptVersion, Ritual

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
            "forked_from_version",
            "version",
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
    """Fields an author may change. ``content_hash`` follows the body; a change of body, title,
    tags or clauses makes the next version, described by ``message``."""

    body = serializers.CharField(max_length=PROMPT_BODY_MAX, trim_whitespace=False)
    tags = TagListField()
    codex_clauses = ClauseCodeListField()
    message = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="What changed: recorded on the version this edit makes.",
    )

    class Meta:
        model = Prompt
        fields = ["title", "body", "tags", "codex_clauses", "is_public", "message"]


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


class PromptVersionSerializer(serializers.ModelSerializer):
    """One immutable version. ``body`` is null unless the caller may see this version's body
    (a licence covers the version it was granted at and every later one)."""

    body = serializers.CharField(allow_null=True, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    codex_clauses = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = PromptVersion
        fields = [
            "prompt",
            "number",
            "title",
            "body",
            "tags",
            "codex_clauses",
            "content_hash",
            "message",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not getattr(instance, "body_visible", False):
            data["body"] = None
        return data


class PromptLabelSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = PromptLabel
        fields = ["name", "version", "updated_at"]
        read_only_fields = fields


class PromptLabelMoveSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=50, help_text="The label (a slug), from the path.")
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class PromptDiffQuerySerializer(serializers.Serializer):
    # ``from`` is a Python keyword: declared below under its wire name.
    to = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


PromptDiffQuerySerializer._declared_fields["from"] = serializers.IntegerField(
    min_value=1, max_value=2**31 - 1
)


class PromptDiffSerializer(serializers.Serializer):
    """``diff`` is the unified diff of the bodies, null unless the caller may see both."""

    prompt = serializers.IntegerField()
    from_version = serializers.IntegerField()
    to_version = serializers.IntegerField()
    from_content_hash = serializers.CharField()
    to_content_hash = serializers.CharField()
    body_changed = serializers.BooleanField()
    diff = serializers.CharField(allow_null=True)
    changed_fields = serializers.DictField(
        child=serializers.DictField(),
        help_text='``{field: {"from": old, "to": new}}`` for title, tags, codex_clauses.',
    )
