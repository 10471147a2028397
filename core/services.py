"""Writes of the core domain. Keyword-only, one transaction each; they never see a request."""

from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F

from .exceptions import ClauseInUse, InvalidInput, PromptNotReadable, UnknownCodexClause
from .models import Assistant, CodexClause, Prompt, Ritual, RitualStep
from .selectors import codex_clause_in_use, codex_codes_unknown
from .signals import prompt_changed, ritual_changed


def codex_clauses_validate(codes: Sequence[str], *, field: str = "codex_clauses") -> None:
    """Every codex_clauses list and codex_alignment key must name an existing clause."""
    unknown = codex_codes_unknown(list(codes))
    if unknown:
        raise UnknownCodexClause(f"Unknown codex clause(s): {', '.join(unknown)}.", field=field)


@transaction.atomic
def assistant_create(*, owner: User, name: str, description: str = "") -> Assistant:
    """An assistant is created with its wallet holding TOKEN_GRANT (a ``grant`` ledger entry)."""
    from economy.services import wallet_create_with_grant

    assistant = Assistant.objects.create(owner=owner, name=name, description=description)
    wallet_create_with_grant(assistant=assistant)
    return assistant


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
) -> Prompt:
    codex_clauses_validate(codex_clauses)
    prompt = Prompt(
        author=author,
        title=title,
        body=body,
        tags=list(tags),
        codex_clauses=list(codex_clauses),
        is_public=is_public,
        forked_from=forked_from,
    )
    prompt.save()
    return prompt


@transaction.atomic
def prompt_update(*, prompt: Prompt, **fields) -> Prompt:
    if "codex_clauses" in fields:
        codex_clauses_validate(fields["codex_clauses"])
    for key, value in fields.items():
        setattr(prompt, key, list(value) if key in {"tags", "codex_clauses"} else value)
    # Name the columns: a full save would write back stale rating/fork counters over concurrent
    # F() updates by ratings and forks.
    prompt.save(update_fields=[*fields.keys(), "content_hash", "updated_at"])
    prompt_changed.send(sender=Prompt, prompt_id=prompt.pk)
    return prompt


@transaction.atomic
def prompt_fork(*, prompt: Prompt, assistant: Assistant, title: str | None = None) -> Prompt:
    """Copy a prompt for ``assistant``. Forking needs the body: the assistant must be allowed to
    read it (its own user's prompt, a free public one, or a licence). The fork is public only
    when ``bodies_publishable`` says so: a bought body is not republished by default.
    The source's fork_count goes up by one in the same transaction."""
    from economy.selectors import bodies_publishable, prompt_body_readable

    if not prompt_body_readable(prompt=prompt, assistant=assistant):
        from economy.exceptions import NotLicensed

        raise NotLicensed()
    fork = prompt_create(
        author=assistant,
        title=title or prompt.title,
        body=prompt.body,
        tags=prompt.tags,
        codex_clauses=prompt.codex_clauses,
        is_public=prompt.content_hash in bodies_publishable(content_hashes=[prompt.content_hash]),
        forked_from=prompt,
    )
    Prompt.objects.filter(pk=prompt.pk).update(fork_count=F("fork_count") + 1)
    return fork


def _ritual_steps_validate(*, owner: Assistant, steps: Sequence[Prompt]) -> None:
    from economy.selectors import prompt_body_readable

    for position, prompt in enumerate(steps):
        if not prompt_body_readable(prompt=prompt, assistant=owner):
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


@transaction.atomic
def codex_clause_delete(*, clause: CodexClause) -> None:
    """A clause that any prompt, ritual, bundle or curriculum still names cannot be deleted
    (409 ``clause_in_use``): their clause lists would name a code that no longer exists."""
    list(CodexClause.objects.select_for_update().filter(pk=clause.pk).values_list("pk"))
    if codex_clause_in_use(code=clause.code):
        raise ClauseInUse()
    clause.delete()
