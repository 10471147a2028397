"""Marketplace vaults: signed exports of prompts and their verified import."""

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from core.access import bodies_publishable, prompts_unusable_by, prompts_visible_to
from core.exceptions import PromptNotReadable
from core.models import Assistant, Prompt, PromptVersion, content_hash
from core.services import prompt_create

from ..exceptions import (
    InvalidSignature,
)
from ..models import (
    PromptMarketplaceVault,
)

VAULT_FORMAT_VERSION = 1


VAULT_MAX_PROMPTS = 100


def canonical_json(data: Any) -> bytes:
    """The bytes a vault signature covers: JSON with sorted keys, compact separators, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def vault_signature(exported_json: Any) -> str:
    """symbolic_signature = HMAC-SHA256(VAULT_SIGNING_KEY, canonical_json(exported_json)), hex."""
    key = str(settings.VAULT_SIGNING_KEY).encode("utf-8")
    return hmac.new(key, canonical_json(exported_json), hashlib.sha256).hexdigest()


def vault_export_build(*, owner: Assistant, prompts: Sequence[Prompt]) -> dict:
    return {
        "format_version": VAULT_FORMAT_VERSION,
        "owner": {"assistant": owner.pk, "name": owner.name},
        "prompts": [
            {
                "source_id": p.pk,
                "version": p.version,
                "title": p.title,
                "body": p.body,
                "tags": list(p.tags),
                "content_hash": p.content_hash,
            }
            for p in prompts
        ],
    }


@transaction.atomic
def vault_create(
    *, owner_assistant: Assistant, prompts: Sequence[Prompt], name: str = ""
) -> PromptMarketplaceVault:
    """Bundle prompts whose bodies the owner may read (400 ``prompt_not_readable`` otherwise);
    the server writes exported_json and its HMAC symbolic_signature."""
    unreadable = prompts_unusable_by(prompts=prompts, assistant=owner_assistant)
    if unreadable:
        ids = ", ".join(str(p.pk) for p in unreadable)
        raise PromptNotReadable(f"The owner may not read prompt(s) {ids}.", field="prompts")
    exported = vault_export_build(owner=owner_assistant, prompts=prompts)
    vault = PromptMarketplaceVault.objects.create(
        owner_assistant=owner_assistant,
        name=name,
        exported_json=exported,
        symbolic_signature=vault_signature(exported),
    )
    vault.prompt_set.set(prompts)
    return vault


def _vault_entries_verified(exported_json: Any) -> list[dict]:
    """The prompts of a signed export, each checked against its content hash and the limits a
    prompt has; anything off is ``invalid_signature``."""
    if not isinstance(exported_json, dict) or exported_json.get("format_version") != (
        VAULT_FORMAT_VERSION
    ):
        raise InvalidSignature("Unknown vault format.", field="exported_json")
    entries = exported_json.get("prompts")
    if not isinstance(entries, list) or len(entries) > VAULT_MAX_PROMPTS:
        raise InvalidSignature("The vault's prompt list is malformed.", field="exported_json")
    for i, entry in enumerate(entries):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("title"), str)
            and 0 < len(entry["title"]) <= 150
            and isinstance(entry.get("body"), str)
            and len(entry["body"]) <= 20_000
            and isinstance(entry.get("tags"), list)
            and len(entry["tags"]) <= 20
            and all(isinstance(t, str) and 0 < len(t) <= 50 for t in entry["tags"])
            and isinstance(entry.get("content_hash"), str)
            and hmac.compare_digest(
                content_hash(entry["body"]).encode(), entry["content_hash"].encode("utf-8")
            )
        )
        if not ok:
            raise InvalidSignature(
                f"Prompt {i} does not match its content hash.", field="exported_json"
            )
    return entries


def _vault_versions_verify(*, entries: list[dict], user: User) -> None:
    """An entry naming a source prompt the importer may see and a version of it carries that
    version's content hash (one query); a mismatch is 400 ``invalid_signature``. Sources that
    are gone or hidden are not checked: their text stands on the signature alone."""
    wanted = Q()
    for e in entries:
        source, number = e.get("source_id"), e.get("version")
        if type(source) is int and type(number) is int:
            wanted |= Q(prompt_id=source, number=number)
    if not wanted:
        return
    known: dict[tuple[Any, Any], str] = {
        (v.prompt_id, v.number): v.content_hash
        for v in PromptVersion.objects.filter(wanted, prompt__in=prompts_visible_to(user)).only(
            "prompt_id", "number", "content_hash"
        )
    }
    for i, e in enumerate(entries):
        expected = known.get((e.get("source_id"), e.get("version")))
        if expected is not None and expected != e["content_hash"]:
            raise InvalidSignature(
                f"Prompt {i} does not match version {e['version']} of its source.",
                field="exported_json",
            )


@transaction.atomic
def vault_import(*, assistant: Assistant, exported_json: Any, symbolic_signature: str) -> list:
    """Create the prompts of a signed export for ``assistant``, all or none.

    The signature is compared in constant time and every content hash is checked first; any
    mismatch is 400 ``invalid_signature`` and nothing is created. An imported prompt is public
    only when ``bodies_publishable`` says its body may be (a bought body stays private, whoever
    imports it), as forks are.
    """
    expected = vault_signature(exported_json)
    if not hmac.compare_digest(expected.encode(), str(symbolic_signature).encode("utf-8")):
        raise InvalidSignature(field="symbolic_signature")
    entries = _vault_entries_verified(exported_json)
    _vault_versions_verify(entries=entries, user=assistant.owner)
    publishable = bodies_publishable(content_hashes=[e["content_hash"] for e in entries])
    return [
        prompt_create(
            author=assistant,
            title=e["title"],
            body=e["body"],
            tags=e["tags"],
            is_public=e["content_hash"] in publishable,
        )
        for e in entries
    ]
