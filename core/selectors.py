"""Reads of the core domain (what each user may see of prompts: ``core.access``)."""

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from .models import Assistant, CodexClause, Ritual

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
