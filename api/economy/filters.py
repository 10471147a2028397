import math

import django_filters
from django.db.models import Q

from api.core.filters import filter_json_list_contains
from api.filters import BoundedNumberFilter, IdFilter
from api.permissions import is_owner
from core.exceptions import NotYourAssistant
from core.models import Assistant, Prompt
from economy.models import AssistantPromptTrustMap, LedgerEntry, PromptTokenListing, Purchase


class ListingFilter(django_filters.FilterSet):
    seller = IdFilter(field_name="prompt__author_id", help_text="The prompt author's id.")
    prompt = IdFilter(field_name="prompt_id")
    tag = django_filters.CharFilter(
        method="filter_tag", max_length=50, help_text="Listings whose prompt carries this tag."
    )
    min_cost = BoundedNumberFilter(method="filter_min_cost", help_text='Tokens, e.g. "1.50".')
    max_cost = BoundedNumberFilter(method="filter_max_cost", help_text='Tokens, e.g. "10.00".')
    min_trust = BoundedNumberFilter(
        field_name="prompt__trust_score", lookup_expr="gte", help_text="Minimum prompt trust."
    )
    is_active = django_filters.BooleanFilter(
        help_text="Active listings unless `false` (delisted history) is asked for."
    )

    class Meta:
        model = PromptTokenListing
        fields = ["seller", "prompt", "tag", "min_cost", "max_cost", "min_trust", "is_active"]

    def filter_tag(self, qs, name, value):
        tagged = filter_json_list_contains(Prompt.objects.all(), "tags", value)
        return qs.filter(prompt_id__in=tagged.values("pk"))

    def filter_min_cost(self, qs, name, value):
        return qs.filter(token_cost_cents__gte=math.ceil(value * 100))

    def filter_max_cost(self, qs, name, value):
        return qs.filter(token_cost_cents__lte=math.floor(value * 100))


class TrustMapFilter(django_filters.FilterSet):
    prompt = IdFilter(field_name="prompt_id")
    min_resonance = BoundedNumberFilter(field_name="resonance_score", lookup_expr="gte")
    max_resonance = BoundedNumberFilter(field_name="resonance_score", lookup_expr="lte")
    min_compliance = BoundedNumberFilter(field_name="symbolic_compliance", lookup_expr="gte")
    max_compliance = BoundedNumberFilter(field_name="symbolic_compliance", lookup_expr="lte")
    min_volatility = BoundedNumberFilter(field_name="dreamframe_volatility", lookup_expr="gte")
    max_volatility = BoundedNumberFilter(field_name="dreamframe_volatility", lookup_expr="lte")

    class Meta:
        model = AssistantPromptTrustMap
        fields = [
            "prompt",
            "min_resonance",
            "max_resonance",
            "min_compliance",
            "max_compliance",
            "min_volatility",
            "max_volatility",
        ]


class LedgerFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LedgerEntry.Kind.choices)

    class Meta:
        model = LedgerEntry
        fields = ["kind"]


class PurchaseFilter(django_filters.FilterSet):
    """``role`` is applied by the view (it picks the rows the caller may see); ``assistant``
    narrows to one of the caller's assistants (403 ``not_your_assistant`` for another's)."""

    role = django_filters.ChoiceFilter(
        choices=[("buyer", "buyer"), ("seller", "seller")],
        method="filter_role",
        help_text="`buyer`: what your assistants bought; `seller`: what they sold; both if absent.",
    )
    assistant = IdFilter(method="filter_assistant", help_text="One of your assistants' id.")
    state = django_filters.ChoiceFilter(choices=Purchase.State.choices)

    class Meta:
        model = Purchase
        fields = ["role", "assistant", "state"]

    def filter_role(self, queryset, name, value):
        return queryset  # the view's queryset already holds only this role's rows

    def filter_assistant(self, queryset, name, value):
        owner_id = Assistant.objects.filter(pk=value).values_list("owner_id", flat=True).first()
        user = self.request.user
        if owner_id is not None and not is_owner(user, owner_id):
            raise NotYourAssistant(field="assistant")
        role = self.data.get("role")
        if role == "buyer":
            return queryset.filter(buyer_id=value)
        if role == "seller":
            return queryset.filter(seller_id=value)
        return queryset.filter(Q(buyer_id=value) | Q(seller_id=value))
