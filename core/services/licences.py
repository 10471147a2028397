"""Licences: the right of an assistant to use a prompt's body, pinned to a version."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from ..models import (
    Assistant,
    Prompt,
    PromptLicence,
    PromptVersion,
)


def _newest_version_ids(prompt_ids: Iterable[int]) -> dict[int, int]:
    """``{prompt_id: id of its newest PromptVersion}`` in one query."""
    return dict(
        PromptVersion.objects.filter(
            prompt_id__in=list(prompt_ids), number=F("prompt__version")
        ).values_list("prompt_id", "pk")
    )


def licence_grant(*, assistant: Assistant, prompt: Prompt, source: str) -> PromptLicence:
    """A licence to ``prompt`` for ``assistant`` at the prompt's newest version. Raises
    IntegrityError when the assistant holds one already (the caller decides what that means)."""
    version_id = _newest_version_ids([prompt.pk])[prompt.pk]
    with transaction.atomic():
        return PromptLicence.objects.create(
            assistant=assistant, prompt=prompt, version_id=version_id, source=source
        )


def licences_grant(*, assistant_id: int, prompt_ids: Iterable[int], source: str) -> None:
    """A licence per prompt at its newest version; ones the assistant holds stay as they are."""
    versions = _newest_version_ids(prompt_ids)
    PromptLicence.objects.bulk_create(
        [
            PromptLicence(assistant_id=assistant_id, prompt_id=pid, version_id=vid, source=source)
            for pid, vid in versions.items()
        ],
        ignore_conflicts=True,
    )
