"""Reads of the core domain: what each user may see."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import Q, QuerySet

from .models import Assistant, CodexClause, Prompt, Ritual, UsernameClaim, username_canonical


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


def username_for_login(username: str) -> str:
    """The stored username that ``username`` names in any case or width (fullwidth
    ``ALICE`` logs in as ``alice``); unchanged when no account claims it."""
    stored = (
        UsernameClaim.objects.filter(canonical=username_canonical(username))
        .values_list("user__username", flat=True)
        .first()
    )
    return stored if stored is not None else username
