"""Reads of the core domain (what each user may see of prompts: ``core.access``)."""

import difflib

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from .access import AnyUser, versions_visible_to
from .exceptions import NotFound, UnknownVersion
from .models import (
    Assistant,
    CodexClause,
    Prompt,
    PromptLabel,
    PromptVersion,
    Ritual,
    UsernameClaim,
    username_canonical,
)

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


# --- Versions ---------------------------------------------------------------------------------

DIFF_FIELDS = ("title", "tags", "codex_clauses")


def label_number(*, prompt: Prompt, name: str) -> int:
    """The version number the label ``name`` points at; 404 when the prompt has no such label."""
    number = (
        PromptLabel.objects.filter(prompt=prompt, name=name)
        .values_list("version__number", flat=True)
        .first()
    )
    if number is None:
        raise NotFound("The prompt has no label of this name.")
    return number


def version_read(*, prompt: Prompt, number: int, user: AnyUser) -> PromptVersion:
    """One version with ``body_visible`` for ``user``; 404 for a number the prompt lacks."""
    version = versions_visible_to(user, prompt=prompt).filter(number=number).first()
    if version is None:
        raise NotFound("The prompt has no version with this number.")
    return version


def versions_diff(*, prompt: Prompt, old: int, new: int, user: AnyUser) -> dict:
    """What changed from version ``old`` to ``new``: the unified diff of the bodies (null
    unless ``user`` may see both bodies, as a version's body is null) and the changed title,
    tags and clauses (shown to everyone who sees the prompt). 400 ``unknown_version``."""
    found = {
        v.number: v for v in versions_visible_to(user, prompt=prompt).filter(number__in={old, new})
    }
    missing = [n for n in (old, new) if n not in found]
    if missing:
        raise UnknownVersion(
            f"The prompt has no version {missing[0]}.", field="from" if missing[0] == old else "to"
        )
    a, b = found[old], found[new]
    diff = None
    if a.body_visible and b.body_visible:  # type: ignore[attr-defined]
        # By lines without their endings, so a body without a final newline still diffs cleanly.
        lines = difflib.unified_diff(
            a.body.splitlines(), b.body.splitlines(), f"v{old}", f"v{new}", lineterm=""
        )
        diff = "".join(f"{line}\n" for line in lines)
    return {
        "prompt": prompt.pk,
        "from_version": old,
        "to_version": new,
        "from_content_hash": a.content_hash,
        "to_content_hash": b.content_hash,
        "body_changed": a.content_hash != b.content_hash,
        "diff": diff,
        "changed_fields": {
            f: {"from": getattr(a, f), "to": getattr(b, f)}
            for f in DIFF_FIELDS
            if getattr(a, f) != getattr(b, f)
        },
    }


def username_for_login(username: str) -> str:
    """The stored username that ``username`` names in any case or width (fullwidth
    ``ALICE`` logs in as ``alice``); unchanged when no account claims it."""
    stored = (
        UsernameClaim.objects.filter(canonical=username_canonical(username))
        .values_list("user__username", flat=True)
        .first()
    )
    return stored if stored is not None else username
