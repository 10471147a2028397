"""Every ordered list breaks ties by primary key: the default ordering filter backend.

Without it, rows that tie on the requested key (every unrated prompt under
``?ordering=-trust_score``) come back in whatever order the database picks for each page's
query, and PostgreSQL picks differently per LIMIT/OFFSET: pages repeat some rows and skip
others. The backend is ``REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]``'s, so a list needs no
opt-in; a view that names its own backends names this one.
"""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework.filters import OrderingFilter


def pk_tie_break(default_ordering: Sequence[Any] | None, pk_name: str = "id") -> str:
    """The primary-key term appended after any ordering: the pk term of the view's default
    ordering if it has one, else ``pk`` in the direction of its first key; ``-pk`` without one."""
    terms = [t for t in default_ordering or () if isinstance(t, str)]
    for term in terms:
        if term.lstrip("-") in {"pk", "id", pk_name}:
            return "-pk" if term.startswith("-") else "pk"
    if terms and not terms[0].startswith("-"):
        return "pk"
    return "-pk"


def _has_pk(ordering: Sequence[Any], pk_name: str) -> bool:
    return any(isinstance(t, str) and t.lstrip("-") in {"pk", "id", pk_name} for t in ordering)


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` (validated against the view's ``ordering_fields``) or the view's default
    ordering, then the primary key, so that equal keys never shuffle between pages."""

    def get_ordering(self, request, queryset: QuerySet, view) -> list[Any]:
        ordering: list[Any] = list(super().get_ordering(request, queryset, view) or [])
        if not ordering:
            # No ordering asked or declared: keep the queryset's own, made total.
            ordering = [*queryset.query.order_by] or [*queryset.model._meta.ordering]
        pk_name = queryset.model._meta.pk.name
        if _has_pk(ordering, pk_name):
            return ordering
        return [*ordering, pk_tie_break(self.get_default_ordering(view), pk_name)]
