import django_filters
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from api.filters import IdFilter
from core.models import Assistant, Prompt, Ritual


def filter_json_list_contains(qs: QuerySet, field: str, value: str) -> QuerySet:
    """Rows whose JSON list ``field`` contains the string ``value``.

    PostgreSQL answers with ``@>`` (GIN-indexable); SQLite has no JSON containment lookup, so it
    asks ``json_each``.
    """
    if connection.vendor == "postgresql":
        return qs.filter(**{f"{field}__contains": [value]})
    table = qs.model._meta.db_table
    column = qs.model._meta.get_field(field).column
    condition = RawSQL(
        f'EXISTS (SELECT 1 FROM json_each("{table}"."{column}") WHERE json_each.value = %s)',
        (value,),
        output_field=BooleanField(),
    )
    return qs.filter(condition)


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
