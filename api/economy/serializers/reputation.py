"""Ratings and the reputation of a prompt."""

from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    TagListField,
    UnitFloatField,
)
from economy.models import (
    PromptReputationScore,
)


class UniqueTagListField(TagListField):
    """Tags, each kept once in the order given (a tag counts once per rating)."""

    def to_internal_value(self, data):
        return list(dict.fromkeys(super().to_internal_value(data)))


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
