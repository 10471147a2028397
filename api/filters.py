"""Filter types shared by every FilterSet."""

import django_filters
from django import forms

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
