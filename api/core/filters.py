import django_filters

from api.filters import IdFilter
from core.models import Assistant, Prompt, Ritual
from core.selectors import json_list_contains as filter_json_list_contains


class AssistantFilter(django_filters.FilterSet):
    owner = IdFilter(field_name="owner_id", help_text="User id of the owner.")
    name = django_filters.CharFilter(lookup_expr="icontains", max_length=150)

    class Meta:
        model = Assistant
        fields = ["owner", "name"]


class PromptFilter(django_filters.FilterSet):
    author = IdFilter(field_name="author_id")
    tag = django_filters.CharFilter(
        method="filter_tag", max_length=50, help_text="Prompts carrying this tag."
    )
    forked_from = IdFilter(field_name="forked_from_id")
    is_public = django_filters.BooleanFilter()

    class Meta:
        model = Prompt
        fields = ["author", "tag", "forked_from", "is_public"]

    def filter_tag(self, qs, name, value):
        return filter_json_list_contains(qs, "tags", value)


class RitualFilter(django_filters.FilterSet):
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Ritual
        fields = ["owner"]
