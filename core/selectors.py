"""Reads of the core domain (what each user may see of prompts: ``core.access``)."""

import difflib
from typing import Literal

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

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
