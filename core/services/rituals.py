"""Rituals: an assistant's ordered steps of prompts it may use."""

from collections.abc import Sequence

from django.db import transaction

from ..access import prompts_unusable_by
from ..exceptions import (
    PromptNotReadable,
)
from ..models import (
    Assistant,
    Prompt,
    Ritual,
    RitualStep,
)
from ..signals import ritual_changed
from ..unset import UNSET, Unset, given
from .codex import codex_clauses_validate


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
def ritual_update(
    *,
    ritual: Ritual,
    steps: Sequence[Prompt] | None = None,
    name: str | Unset = UNSET,
    description: str | Unset = UNSET,
    codex_clauses: Sequence[str] | Unset = UNSET,
) -> Ritual:
    """Change a ritual; only the fields given are written. New steps must be prompts the
    ritual's owner may use."""
    fields = given(name=name, description=description, codex_clauses=codex_clauses)
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
