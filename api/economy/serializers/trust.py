"""Trust maps and trust observations."""

from rest_framework import serializers

from api.fields import (
    UnitFloatField,
    VisiblePromptField,
)
from economy.models import (
    AssistantPromptTrustMap,
)


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


class TrustObservationSerializer(serializers.Serializer):
    prompt = VisiblePromptField()
    resonance = UnitFloatField()
    symbolic_compliance = UnitFloatField()
    mutation_bias = UnitFloatField()
