"""Reads of the core domain: what each user may see."""

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

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
