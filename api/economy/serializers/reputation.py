"""Ratings and the reputation of a prompt."""

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    TagListField,
    UnitFloatField,
)
from api.renderers import datetime_writer
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


# The columns ``rating_row_representation`` reads (``values()`` names).
RATING_ROW_VALUES = (
    "id",
    "prompt_id",
    "rater_id",
    "ritual_effectiveness",
    "assistant_approval",
    "user_rating_tags",
    "symbolic_tags",
    "trust_score",
    "created_at",
)


def _float(value):
    return None if value is None else float(value)


def _strings(values):
    return [None if v is None else str(v) for v in values]


def rating_row_representation(row: dict, write_datetime: Callable[[Any], Any]) -> dict:
    """What ``RatingSerializer`` writes for an entry, from a ``values(*RATING_ROW_VALUES)`` row:
    the same keys in the same order, each value converted as that field converts it
    (tests/api/economy/test_reputation_fast.py holds both to the same JSON). ``write_datetime``:
    the page's ``datetime_writer()``."""
    return {
        "id": row["id"],
        "prompt": row["prompt_id"],
        "rater": row["rater_id"],
        "ritual_effectiveness": _float(row["ritual_effectiveness"]),
        "assistant_approval": _float(row["assistant_approval"]),
        "user_rating_tags": _strings(row["user_rating_tags"]),
        "symbolic_tags": _strings(row["symbolic_tags"]),
        "trust_score": _float(row["trust_score"]),
        "created_at": write_datetime(row["created_at"]),
    }


def reputation_representation(
    *,
    prompt,
    means: dict,
    user_rating_tags: dict,
    symbolic_tags: dict,
    entries: list[dict],
    entries_limit: int,
    ratings_url: str,
) -> dict:
    """What ``ReputationSerializer`` writes, from the prompt's ``id``, ``trust_score`` and
    ``rating_count`` (a row), plain values and entry rows."""
    write_datetime = datetime_writer()
    return {
        "prompt": prompt["id"],
        "trust_score": float(prompt["trust_score"]),
        "rating_count": int(prompt["rating_count"]),
        "means": {name: _float(value) for name, value in means.items()},
        "user_rating_tags": user_rating_tags,  # already {tag: count} (selectors.tag_histogram)
        "symbolic_tags": symbolic_tags,
        "entries": [rating_row_representation(row, write_datetime) for row in entries],
        "entries_limit": entries_limit,
        "ratings_url": str(ratings_url),
    }
