"""Filter types shared by every FilterSet."""

from datetime import UTC

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.exceptions import ErrorDetail, ValidationError

from api.pagination import NOT_FILTERS

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite: larger ids would overflow


class IdFilter(django_filters.NumberFilter):
    """A row id: a positive integer that fits the database (a 400 otherwise, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedNumberFilter(django_filters.NumberFilter):
    """A decimal bound that fits a float column."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 20)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(*args, **kwargs)


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant that exists in UTC: ``0001-01-01T00:00:00+14:00`` is year 0 there, which
    the database adapter cannot hold (a 500 on SQLite), so it is a 400 ``out_of_range``."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None and value.tzinfo is not None:
            try:
                value.astimezone(UTC)
            except OverflowError:
                raise forms.ValidationError(
                    "The date is out of range once converted to UTC.", code="out_of_range"
                ) from None
        return value


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 date filter whose value fits the database in UTC (a 400 otherwise)."""

    field_class = BoundedIsoDateTimeField


SEARCH_MAX_LENGTH = 200


class SearchFilter(filters.SearchFilter):
    """DRF's search with a bounded term: SQLite refuses LIKE patterns past 50,000 bytes (a 500),
    and no title needs more than ``SEARCH_MAX_LENGTH`` characters to be found."""

    def get_search_terms(self, request):
        value = request.query_params.get(self.search_param, "")
        if len(value) > SEARCH_MAX_LENGTH:
            raise ValidationError(
                {
                    self.search_param: [
                        ErrorDetail(
                            f"Ensure this value has at most {SEARCH_MAX_LENGTH} characters "
                            f"(it has {len(value)}).",
                            "max_length",
                        )
                    ]
                }
            )
        return super().get_search_terms(request)


# Query parameters that pagination, ordering, search and format negotiation read, not filters.
NOT_FILTER_PARAMS = frozenset(NOT_FILTERS | {"search"})


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the query names no filter (a bare page of a hot
    list): building and validating the FilterSet's form then changes nothing, since empty
    values filter nothing. A FilterSet that could act without parameters (a required filter,
    its own ``filter_queryset`` or ``qs``) always runs."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        declared = filterset_class.base_filters
        if (
            not any(k not in NOT_FILTER_PARAMS or k in declared for k in request.query_params)
            and not any(f.extra.get("required") for f in declared.values())
            and filterset_class.filter_queryset is django_filters.FilterSet.filter_queryset
            and filterset_class.qs is django_filters.FilterSet.qs
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
