"""Reads of the core domain: what each user may see."""

from typing import Literal

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from .models import Assistant, CodexClause, Prompt, Ritual


def prompts_visible_to(user: User | AnonymousUser) -> QuerySet[Prompt]:
    """Public prompts, plus the user's own private ones; staff see everything.

    A private prompt of another user is simply absent, so its detail is a 404.
    """
    qs = Prompt.objects.all()
    if user.is_authenticated and user.is_staff:
        return qs
    if user.is_authenticated:
        return qs.filter(Q(is_public=True) | Q(author__owner=user))
    return qs.filter(is_public=True)


ASSISTANTS_COUNT_CACHE_KEY = "assistants-count"


def assistants_count() -> int:
    """The denominator of every adoption score: all assistants.

    Past ``API_COUNT_CACHE_MIN_ROWS`` assistants it is counted at most once per
    ``API_COUNT_CACHE_SECONDS``, so hot lists do not COUNT(*) the assistants on every request;
    below that, or with 0 seconds, it is exact.
    """
    ttl = settings.API_COUNT_CACHE_SECONDS
    if ttl:
        cached = cache.get(ASSISTANTS_COUNT_CACHE_KEY)
        if cached is not None:
            return cached
    value = Assistant.objects.count()
    if ttl and value >= settings.API_COUNT_CACHE_MIN_ROWS:
        cache.set(ASSISTANTS_COUNT_CACHE_KEY, value, ttl)
    return value


def assistants_all() -> QuerySet[Assistant]:
    return Assistant.objects.select_related("owner")


def rituals_all() -> QuerySet[Ritual]:
    return Ritual.objects.select_related("owner")


def codex_codes_unknown(codes: list[str]) -> list[str]:
    """The codes in ``codes`` that name no CodexClause (one query)."""
    wanted = set(codes)
    if not wanted:
        return []
    known = set(CodexClause.objects.filter(code__in=wanted).values_list("code", flat=True))
    return sorted(wanted - known)


def json_list_contains(qs: QuerySet, field: str, value: str) -> QuerySet:
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


# Every JSON field that names codex clauses: (model label, field, "list" of codes or "keys" of an
# object). Apps built on core add theirs from their AppConfig.ready, so core imports none of them.
CODEX_CLAUSE_FIELDS: list[tuple[str, str, Literal["list", "keys"]]] = [
    ("core.Prompt", "codex_clauses", "list"),
    ("core.Ritual", "codex_clauses", "list"),
]


def codex_clause_field_register(label: str, field: str, shape: Literal["list", "keys"]) -> None:
    if (label, field, shape) not in CODEX_CLAUSE_FIELDS:
        CODEX_CLAUSE_FIELDS.append((label, field, shape))


def codex_clause_in_use(*, code: str) -> bool:
    """Does any row still name this clause (a ``codex_clauses`` list or a ``codex_alignment``
    key)? JSON lists have no foreign key to protect the clause, so this is the one check; at
    most one EXISTS query per registered field."""
    for label, field, shape in CODEX_CLAUSE_FIELDS:
        qs = apps.get_model(label)._default_manager.all()
        if shape == "keys":
            qs = qs.filter(**{f"{field}__has_key": code})
        else:
            qs = json_list_contains(qs, field, code)
        if qs.exists():
            return True
    return False
