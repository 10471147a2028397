from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.core.serializers import PROMPT_BODY_MAX
from api.fields import (
    ActingAssistantField,
    BoundedJSONObjectField,
    FiniteFloatField,
    VisiblePromptField,
)
from api.filters import MAX_ID
from training.models import AssistantReflectionChain, PromptMutationRing, SwarmTrainingChain

MAX_INVOLVED = 50
MEMORY_SNAPSHOT_MAX_BYTES = 64 * 1024


def belief_delta_field(**kwargs) -> serializers.FloatField:
    kwargs.setdefault("help_text", "A belief shift in [-1, 1].")
    return FiniteFloatField(min_value=-1.0, max_value=1.0, **kwargs)


class InvolvedAssistantsField(serializers.ListField):
    """Ordered assistant ids in (1-50, distinct), in turn order out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=MAX_ID))
        kwargs.setdefault("min_length", 1)
        kwargs.setdefault("max_length", MAX_INVOLVED)
        kwargs.setdefault("help_text", "Assistant ids in turn order: 1-50, distinct, existing.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ids = super().to_internal_value(data)
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Assistants must be distinct.", code="duplicate")
        return ids

    def to_representation(self, data):
        return [p.assistant_id for p in data.all()]


class ChainSerializer(serializers.ModelSerializer):
    """A swarm training chain. Everything but the title, seed, assistants and max_steps is kept
    by the server."""

    seed_assistant = ActingAssistantField(help_text="The seeding assistant; must be one of yours.")
    involved_assistants = InvolvedAssistantsField(source="participants")
    max_steps = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )
    next_assistant = serializers.SerializerMethodField(
        help_text="Whose turn it is: involved[current_step mod n]; null once completed."
    )
    belief_delta_tracker = serializers.DictField(
        child=serializers.FloatField(),
        read_only=True,
        help_text="{assistant_id: cumulative belief delta}.",
    )

    class Meta:
        model = SwarmTrainingChain
        fields = [
            "id",
            "chain_title",
            "seed_assistant",
            "involved_assistants",
            "max_steps",
            "current_step",
            "next_assistant",
            "belief_delta_tracker",
            "codex_tension",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "current_step",
            "belief_delta_tracker",
            "codex_tension",
            "status",
            "created_at",
            "updated_at",
        ]

    def get_next_assistant(self, chain) -> int | None:
        if chain.status == SwarmTrainingChain.Status.COMPLETED:
            return None
        participants = list(chain.participants.all())
        if not participants:
            return None
        return participants[chain.current_step % len(participants)].assistant_id


class MutationRingSerializer(serializers.ModelSerializer):
    class Meta:
        model = PromptMutationRing
        fields = [
            "id",
            "parent_prompt",
            "parent_version",
            "mutated_prompt",
            "belief_delta",
            "mutation_step",
            "created_at",
        ]
        read_only_fields = fields


class ReflectionSerializer(serializers.ModelSerializer):
    """One step. ``mutation`` is null when the step made none or its prompt is not visible to
    you."""

    mutation = serializers.SerializerMethodField()

    class Meta:
        model = AssistantReflectionChain
        fields = [
            "id",
            "chain",
            "step",
            "assistant",
            "reflection_notes",
            "memory_snapshot",
            "belief_delta",
            "mutation",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MutationRingSerializer(allow_null=True))
    def get_mutation(self, reflection):
        if reflection.mutation is None or not getattr(reflection, "mutation_visible", True):
            return None
        return MutationRingSerializer(reflection.mutation).data


class StepMutationSerializer(serializers.Serializer):
    parent_prompt = VisiblePromptField(
        help_text="The prompt to mutate; the turn's assistant must be able to read its body."
    )
    body = serializers.CharField(max_length=PROMPT_BODY_MAX, trim_whitespace=False)
    title = serializers.CharField(max_length=150, required=False)


class ChainStepSerializer(serializers.Serializer):
    reflection_notes = serializers.CharField(max_length=20_000, allow_blank=True)
    memory_snapshot = BoundedJSONObjectField(
        max_bytes=MEMORY_SNAPSHOT_MAX_BYTES, help_text="A JSON object of at most 64 KiB."
    )
    belief_delta = belief_delta_field()
    expected_step = serializers.IntegerField(
        min_value=0,
        max_value=MAX_ID,
        required=False,
        help_text="The step you think is next; 409 stale_step if the chain has moved on.",
    )
    mutation = StepMutationSerializer(required=False)


class ChainStepResultSerializer(serializers.Serializer):
    reflection = ReflectionSerializer()
    chain = ChainSerializer()


class PromptMutateSerializer(serializers.Serializer):
    assistant = ActingAssistantField()
    body = serializers.CharField(max_length=PROMPT_BODY_MAX, trim_whitespace=False)
    title = serializers.CharField(max_length=150, required=False)
    belief_delta = belief_delta_field()


class LineageNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    author = serializers.IntegerField()
    depth = serializers.IntegerField(
        help_text="0 the prompt, 1 its parent, ...; -1 for a direct descendant."
    )
    relation = serializers.ChoiceField(
        choices=["fork", "mutation"],
        allow_null=True,
        help_text="How this prompt was made from `parent`; null for a root.",
    )
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    belief_delta = serializers.FloatField(allow_null=True)
    mutation_step = serializers.IntegerField(allow_null=True)


class LineageSerializer(serializers.Serializer):
    prompt = LineageNodeSerializer()
    ancestors = LineageNodeSerializer(many=True, help_text="Nearest first, ending at the root.")
    descendants = LineageNodeSerializer(many=True, help_text="Direct mutations, then forks.")
