"""Ritual tag bundles: an assistant's named sets of its own rituals."""

from collections.abc import Sequence

from django.db import transaction

from core.models import Assistant, Ritual
from core.services import codex_clauses_validate
from core.unset import UNSET, Unset, given

from ..exceptions import (
    RitualNotOwn,
)
from ..models import (
    RitualTagBundle,
)
from .curricula import curricula_export_rebuild


def _bundle_rituals_validate(*, owner: Assistant, rituals: Sequence[Ritual]) -> None:
    for ritual in rituals:
        if ritual.owner.owner_id != owner.owner_id:
            raise RitualNotOwn(
                f"Ritual {ritual.pk} does not belong to the bundle owner's user.", field="rituals"
            )


@transaction.atomic
def bundle_create(
    *,
    owner: Assistant,
    tag_name: str,
    rituals: Sequence[Ritual] = (),
    codex_clauses: Sequence[str] = (),
) -> RitualTagBundle:
    """A bundle tags rituals of its owner's user; its codex clauses must exist."""
    codex_clauses_validate(codex_clauses)
    _bundle_rituals_validate(owner=owner, rituals=rituals)
    bundle = RitualTagBundle.objects.create(
        owner=owner, tag_name=tag_name, codex_clauses=list(codex_clauses)
    )
    bundle.rituals.set(rituals)
    return bundle


@transaction.atomic
def bundle_update(
    *,
    bundle: RitualTagBundle,
    rituals: Sequence[Ritual] | None = None,
    tag_name: str | Unset = UNSET,
    codex_clauses: Sequence[str] | Unset = UNSET,
) -> RitualTagBundle:
    """Change a bundle (only the fields given are written); every curriculum containing it
    gets its exported_json rebuilt."""
    fields = given(tag_name=tag_name, codex_clauses=codex_clauses)
    if "codex_clauses" in fields:
        codex_clauses_validate(fields["codex_clauses"])
        fields["codex_clauses"] = list(fields["codex_clauses"])
    for key, value in fields.items():
        setattr(bundle, key, value)
    bundle.save()
    if rituals is not None:
        _bundle_rituals_validate(owner=bundle.owner, rituals=rituals)
        bundle.rituals.set(rituals)
    curricula_export_rebuild(curriculum_ids=list(bundle.curricula.values_list("id", flat=True)))
    return bundle


@transaction.atomic
def bundle_delete(*, bundle: RitualTagBundle) -> None:
    """Delete a bundle; the curricula that contained it are re-exported without it."""
    curriculum_ids = list(bundle.curricula.values_list("id", flat=True))
    bundle.delete()
    curricula_export_rebuild(curriculum_ids=curriculum_ids)
