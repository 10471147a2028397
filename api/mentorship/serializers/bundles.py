"""Ritual tag bundles."""

from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    ClauseCodeListField,
    PrimaryKeyListField,
)
from core.models import Ritual
from mentorship.formulas import bundle_adoption_metric
from mentorship.models import (
    RitualTagBundle,
)


class RitualTagBundleSerializer(serializers.ModelSerializer):
    """A bundle of its owner's rituals. ``adoption_metric`` = distinct adopters of curricula
    containing it / all assistants (read-only)."""

    owner = ActingAssistantField()
    rituals = PrimaryKeyListField(
        queryset=Ritual.objects.select_related("owner"),
        distinct=True,
        max_length=100,
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
