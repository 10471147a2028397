"""Listings and what an assistant does with one: buy, fork, inject."""

from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import (
    ActingAssistantField,
    MoneyField,
    UnitFloatField,
    VisiblePromptField,
)
from core.models import Prompt
from economy.formulas import adopters_over_all_assistants
from economy.models import (
    PromptTokenListing,
)
from economy.money import format_cents

from .trust import TrustMapSerializer


class ListingPromptSerializer(serializers.ModelSerializer):
    """The listed prompt; ``body`` is null unless the caller may read it."""

    body = serializers.CharField(allow_null=True, read_only=True)
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Prompt
        fields = ["id", "title", "author", "tags", "trust_score", "rating_count", "body"]
        read_only_fields = fields


@extend_schema_field(ListingPromptSerializer)
class ListingPromptField(serializers.Field):
    """The listing's prompt, built straight from the joined row: one field instance serves the
    whole page (a nested serializer per row cost more than the query). The body follows the
    listing's ``prompt_body_visible`` annotation."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, listing: PromptTokenListing) -> dict:
        prompt = listing.prompt
        return {
            "id": prompt.pk,
            "title": prompt.title,
            "author": prompt.author_id,
            "tags": list(prompt.tags),
            "trust_score": prompt.trust_score,
            "rating_count": prompt.rating_count,
            "body": prompt.body if getattr(listing, "prompt_body_visible", False) else None,
        }


class ListingSerializer(serializers.ModelSerializer):
    """A market listing. ``seller`` is the prompt's author; ``swarm_adoption_score`` =
    distinct assistants that bought or injected it / all assistants (read-only)."""

    prompt = ListingPromptField()
    seller = serializers.IntegerField(source="prompt.author_id", read_only=True)
    token_cost = MoneyField(source="token_cost_cents", read_only=True)
    swarm_adoption_score = serializers.SerializerMethodField()

    class Meta:
        model = PromptTokenListing
        fields = [
            "id",
            "prompt",
            "seller",
            "token_cost",
            "symbolic_tag_weight",
            "codex_usage_score",
            "swarm_adoption_score",
            "adopter_count",
            "is_active",
            "listed_at",
            "delisted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.FloatField(min_value=0, max_value=1))
    def get_swarm_adoption_score(self, listing: PromptTokenListing) -> float:
        return adopters_over_all_assistants(
            adopters=listing.adopter_count, assistants=self.context["assistants_count"]
        )


# The columns ``listing_row_representation`` reads, in its order (``values_list()`` names): the
# listing, the few prompt columns the page shows and the body where it is visible
# (``with_visible_body``).
LISTING_ROW_VALUES = (
    "id",
    "prompt_id",
    "prompt__title",
    "prompt__author_id",
    "prompt__tags",
    "prompt__trust_score",
    "prompt__rating_count",
    "prompt_visible_body",
    "token_cost_cents",
    "symbolic_tag_weight",
    "codex_usage_score",
    "adopter_count",
    "is_active",
    "listed_at",
    "delisted_at",
)


def listing_row_representation(
    row: Sequence[Any], assistants: int, write_datetime: Callable[[Any], Any]
) -> dict:
    """What ``ListingSerializer`` writes for a listing, from a ``values_list(*LISTING_ROW_VALUES)``
    row: the same keys in the same order, each value converted as that field converts it (the
    list's hot path; tests/api/economy/test_market_fast_list.py holds both to the same JSON).
    ``write_datetime``: the page's ``datetime_writer()``."""
    (
        pk,
        prompt_id,
        title,
        author,
        tags,
        trust_score,
        rating_count,
        body,
        cost_cents,
        symbolic,
        codex,
        adopters,
        is_active,
        listed_at,
        delisted,
    ) = row
    return {
        "id": pk,
        "prompt": {
            "id": prompt_id,
            "title": title,
            "author": author,
            "tags": list(tags),
            "trust_score": trust_score,
            "rating_count": rating_count,
            "body": body,
        },
        "seller": author,
        "token_cost": format_cents(cost_cents),
        "symbolic_tag_weight": None if symbolic is None else float(symbolic),
        "codex_usage_score": None if codex is None else float(codex),
        "swarm_adoption_score": adopters_over_all_assistants(
            adopters=adopters, assistants=assistants
        ),
        "adopter_count": adopters,
        "is_active": bool(is_active),
        "listed_at": write_datetime(listed_at),
        "delisted_at": None if delisted is None else write_datetime(delisted),
    }


class ListingUpdateSerializer(serializers.Serializer):
    token_cost = MoneyField(source="token_cost_cents")
    symbolic_tag_weight = UnitFloatField(default=0.0)
    codex_usage_score = UnitFloatField(default=0.0)


class ListingCreateSerializer(ListingUpdateSerializer):
    prompt = VisiblePromptField(help_text="A public prompt of one of your assistants.")


class BuySerializer(serializers.Serializer):
    buyer = ActingAssistantField()
    expected_price = MoneyField(
        required=False,
        help_text="Pin the price you saw: 409 `price_changed` (nothing charged) if it differs.",
    )
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="Pin the version number you saw: 409 `version_changed` if a newer one exists.",
    )


class AssistantActionSerializer(serializers.Serializer):
    assistant = ActingAssistantField()


class ForkSerializer(AssistantActionSerializer):
    title = serializers.CharField(max_length=150, required=False)


class InjectionSerializer(serializers.Serializer):
    assistant = serializers.IntegerField(source="injection.assistant_id")
    prompt = serializers.IntegerField(source="injection.prompt_id")
    injected_at = serializers.DateTimeField(source="injection.injected_at")
    created = serializers.BooleanField(help_text="False when it was already injected.")
    trust_map = TrustMapSerializer()
