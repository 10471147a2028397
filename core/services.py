"""Writes of the core domain. Keyword-only, one transaction each; they never see a request."""

from collections.abc import Iterable, Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F

from .access import bodies_publishable, prompt_usable_by, prompts_unusable_by
from .events import event_emit
from .exceptions import (
    ClauseInUse,
    InvalidInput,
    Listed,
    NotFound,
    NotLicensed,
    PromptNotReadable,
    UnknownCodexClause,
    UnknownVersion,
    UsernameTaken,
)
from .models import (
    Assistant,
    CodexClause,
    Prompt,
    PromptLabel,
    PromptLicence,
    PromptVersion,
    Ritual,
    RitualStep,
)
from .selectors import codex_clause_in_use, codex_codes_unknown
from .signals import prompt_changed, ritual_changed


def codex_clauses_validate(codes: Sequence[str], *, field: str = "codex_clauses") -> None:
    """Every codex_clauses list and codex_alignment key must name an existing clause."""
    unknown = codex_codes_unknown(list(codes))
    if unknown:
        raise UnknownCodexClause(f"Unknown codex clause(s): {', '.join(unknown)}.", field=field)


@transaction.atomic
def user_register(*, username: str, password: str, email: str = "") -> User:
    """Usernames are unique after NFKC normalisation and case folding: ``ALICE``, fullwidth
    or not, beside ``alice`` is 400 ``unique``. The claim's unique index settles two registrations of
    one name racing: one user is created, the other gets the same 400."""
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, password=password, email=email)
    except IntegrityError:  # a concurrent registration claimed the name first
        raise UsernameTaken(field="username") from None


@transaction.atomic
def assistant_create(*, owner: User, name: str, description: str = "") -> Assistant:
    """The assistant row alone; ``economy.services.assistant_open`` adds its wallet."""
    return Assistant.objects.create(owner=owner, name=name, description=description)


def assistant_update(*, assistant: Assistant, **fields) -> Assistant:
    for key, value in fields.items():
        setattr(assistant, key, value)
    assistant.save(update_fields=[*fields.keys()])
    return assistant


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
def prompt_update(*, prompt: Prompt, message: str = "", **fields) -> Prompt:
    """Edit a prompt. A change of body, title, tags or clauses makes the next version (with
    ``message``), under the prompt's row lock so two concurrent edits make two versions; a
    metadata edit (is_public) or the same text makes none. A prompt with an active listing
    cannot be made private (409 ``listed``: its buyers would lose what they paid for)."""
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


def _ritual_steps_validate(*, owner: Assistant, steps: Sequence[Prompt]) -> None:
    unusable = {p.pk for p in prompts_unusable_by(prompts=steps, assistant=owner)}
    for position, prompt in enumerate(steps):
        if prompt.pk in unusable:
            raise PromptNotReadable(
                f"Step {position}: the ritual's owner may not read prompt {prompt.pk}.",
                field="steps",
            )


def _ritual_steps_replace(*, ritual: Ritual, steps: Sequence[Prompt]) -> None:
    RitualStep.objects.filter(ritual=ritual).delete()
    RitualStep.objects.bulk_create(
        RitualStep(ritual=ritual, position=i, prompt=p) for i, p in enumerate(steps)
    )


@transaction.atomic
def ritual_create(
    *,
    owner: Assistant,
    name: str,
    description: str = "",
    steps: Sequence[Prompt] = (),
    codex_clauses: Sequence[str] = (),
) -> Ritual:
    """A ritual's steps are prompts its owner may read, kept in the given order."""
    codex_clauses_validate(codex_clauses)
    _ritual_steps_validate(owner=owner, steps=steps)
    ritual = Ritual.objects.create(
        owner=owner, name=name, description=description, codex_clauses=list(codex_clauses)
    )
    _ritual_steps_replace(ritual=ritual, steps=steps)
    return ritual


@transaction.atomic
def ritual_update(*, ritual: Ritual, steps: Sequence[Prompt] | None = None, **fields) -> Ritual:
    if "codex_clauses" in fields:
        codex_clauses_validate(fields["codex_clauses"])
        fields["codex_clauses"] = list(fields["codex_clauses"])
    for key, value in fields.items():
        setattr(ritual, key, value)
    ritual.save(update_fields=[*fields.keys(), "updated_at"])
    if steps is not None:
        _ritual_steps_validate(owner=ritual.owner, steps=steps)
        _ritual_steps_replace(ritual=ritual, steps=steps)
    ritual_changed.send(sender=Ritual, ritual_id=ritual.pk)
    return ritual


def codex_clause_create(*, code: str, text: str) -> CodexClause:
    if CodexClause.objects.filter(code=code).exists():
        raise InvalidInput("A clause with this code exists.", code="unique", field="code")
    return CodexClause.objects.create(code=code, text=text)


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


@transaction.atomic
def codex_clause_delete(*, clause: CodexClause) -> None:
    """A clause that any prompt, ritual, bundle or curriculum still names cannot be deleted
    (409 ``clause_in_use``): their clause lists would name a code that no longer exists."""
    list(CodexClause.objects.select_for_update().filter(pk=clause.pk).values_list("pk"))
    if codex_clause_in_use(code=clause.code):
        raise ClauseInUse()
    clause.delete()
