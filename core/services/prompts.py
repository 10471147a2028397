"""Prompts, their versions and labels: create, update (a new version when the text changes), fork."""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F

from ..access import bodies_publishable, prompt_usable_by
from ..events import event_emit
from ..exceptions import (
    Listed,
    NotFound,
    NotLicensed,
    UnknownVersion,
)
from ..models import (
    Assistant,
    Prompt,
    PromptLabel,
    PromptLicence,
    PromptVersion,
)
from ..signals import prompt_changed
from ..unset import UNSET, Unset, given
from .codex import codex_clauses_validate


@transaction.atomic
def prompt_create(
    *,
    author: Assistant,
    title: str,
    body: str,
    tags: Sequence[str] = (),
    codex_clauses: Sequence[str] = (),
    is_public: bool = True,
    forked_from: Prompt | None = None,
    forked_from_version: int | None = None,
    message: str = "",
) -> Prompt:
    """A new prompt and its version 1 (with ``message``)."""
    codex_clauses_validate(codex_clauses)
    prompt = Prompt(
        author=author,
        title=title,
        body=body,
        tags=list(tags),
        codex_clauses=list(codex_clauses),
        is_public=is_public,
        forked_from=forked_from,
        forked_from_version=forked_from_version,
    )
    prompt.save()
    prompt_version_create(prompt=prompt, created_by=author, message=message)
    return prompt


def prompt_version_create(
    *, prompt: Prompt, created_by: Assistant, message: str = ""
) -> PromptVersion:
    """Record the prompt's current text as its version number ``prompt.version``. The caller
    created the prompt or holds its row lock, so two edits never take the same number."""
    return PromptVersion.objects.create(
        prompt=prompt,
        number=prompt.version,
        title=prompt.title,
        body=prompt.body,
        tags=list(prompt.tags),
        codex_clauses=list(prompt.codex_clauses),
        message=message,
        created_by=created_by,
    )


PROMPT_TEXT_FIELDS = ("title", "body", "tags", "codex_clauses")


@transaction.atomic
def prompt_update(
    *,
    prompt: Prompt,
    message: str = "",
    title: str | Unset = UNSET,
    body: str | Unset = UNSET,
    tags: Sequence[str] | Unset = UNSET,
    codex_clauses: Sequence[str] | Unset = UNSET,
    is_public: bool | Unset = UNSET,
) -> Prompt:
    """Edit a prompt; only the fields given are written. A change of body, title, tags or clauses makes the next version (with
    ``message``), under the prompt's row lock so two concurrent edits make two versions; a
    metadata edit (is_public) or the same text makes none. A prompt with an active listing
    cannot be made private (409 ``listed``: its buyers would lose what they paid for)."""
    fields = given(
        title=title, body=body, tags=tags, codex_clauses=codex_clauses, is_public=is_public
    )
    if "codex_clauses" in fields:
        codex_clauses_validate(fields["codex_clauses"])
    for key in ("tags", "codex_clauses"):
        if key in fields:
            fields[key] = list(fields[key])
    current = (
        Prompt.objects.select_for_update(of=("self",)).select_related("author").get(pk=prompt.pk)
    )
    if fields.get("is_public") is False and current.is_public and current.is_listed:
        raise Listed()
    changed = any(
        key in fields and fields[key] != getattr(current, key) for key in PROMPT_TEXT_FIELDS
    )
    for key, value in fields.items():
        setattr(current, key, value)
        setattr(prompt, key, value)
    # Name the columns: a full save would write back stale rating/fork counters over concurrent
    # F() updates by ratings and forks.
    columns = [*fields.keys(), "content_hash", "updated_at"]
    if changed:
        current.version += 1
        columns.append("version")
    current.save(update_fields=columns)
    if changed:
        prompt_version_create(prompt=current, created_by=current.author, message=message)
    prompt.version, prompt.content_hash = current.version, current.content_hash
    prompt_changed.send(sender=Prompt, prompt_id=prompt.pk)
    if changed:
        event_emit(
            type="prompt.version_created",
            data={
                "prompt": prompt.pk,
                "version": current.version,
                "author": current.author_id,
                "content_hash": current.content_hash,
            },
            recipients=prompt_audience(prompt=current),
        )
    return prompt


def prompt_audience(*, prompt: Prompt) -> list[int]:
    """Who hears of a prompt's new text or moved labels: its author's owner and the owners of
    assistants holding an active licence (they read every later version), in one query."""
    holders = PromptLicence.objects.filter(
        prompt_id=prompt.pk, state=PromptLicence.State.ACTIVE
    ).values_list("assistant__owner_id", flat=True)
    return [prompt.author.owner_id, *holders]


@transaction.atomic
def prompt_fork(*, prompt: Prompt, assistant: Assistant, title: str | None = None) -> Prompt:
    """Copy a prompt for ``assistant``. Forking needs the body: the assistant must be allowed to
    read it (its own user's prompt, a free public one, or a licence). The fork is public only
    when ``bodies_publishable`` says so: a bought body is not republished by default.
    The source's fork_count goes up by one in the same transaction."""
    if not prompt_usable_by(prompt=prompt, assistant=assistant):
        raise NotLicensed()
    fork = prompt_create(
        author=assistant,
        title=title or prompt.title,
        body=prompt.body,
        tags=prompt.tags,
        codex_clauses=prompt.codex_clauses,
        is_public=prompt.content_hash in bodies_publishable(content_hashes=[prompt.content_hash]),
        forked_from=prompt,
        forked_from_version=prompt.version,
    )
    Prompt.objects.filter(pk=prompt.pk).update(fork_count=F("fork_count") + 1)
    event_emit(
        type="prompt.forked",
        data={
            "prompt": prompt.pk,
            "fork": fork.pk if fork.is_public else None,
            "assistant": assistant.pk,
        },
        recipients=[prompt.author.owner_id],
    )
    return fork


def _version_of(*, prompt: Prompt, number: int) -> PromptVersion:
    version = PromptVersion.objects.filter(prompt=prompt, number=number).first()
    if version is None:
        raise UnknownVersion(field="version")
    return version


@transaction.atomic
def label_move(*, prompt: Prompt, name: str, number: int) -> PromptLabel:
    """Point the label ``name`` of ``prompt`` at its version ``number`` (created if absent);
    400 ``unknown_version`` for a number the prompt does not have."""
    version = _version_of(prompt=prompt, number=number)
    label, _ = PromptLabel.objects.update_or_create(
        prompt=prompt, name=name, defaults={"version": version}
    )
    _label_event_emit(prompt=prompt, name=name, number=number)
    return label


def _label_event_emit(*, prompt: Prompt, name: str, number: int | None) -> None:
    event_emit(
        type="prompt.label_moved",
        data={"prompt": prompt.pk, "label": name, "version": number, "author": prompt.author_id},
        recipients=prompt_audience(prompt=prompt),
    )


@transaction.atomic
def label_remove(*, prompt: Prompt, name: str) -> None:
    """Remove the label ``name``; 404 when the prompt has none of that name."""
    deleted, _ = PromptLabel.objects.filter(prompt=prompt, name=name).delete()
    if not deleted:
        raise NotFound("The prompt has no label of this name.")
    _label_event_emit(prompt=prompt, name=name, number=None)
