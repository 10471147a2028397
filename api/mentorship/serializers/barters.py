"""Barter offers of one curriculum for another."""

from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
)
from mentorship.models import (
    BarterOffer,
    PromptCurriculumVault,
)


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
