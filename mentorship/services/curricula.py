"""Curricula: create, update, delete, the exported snapshot and the state marker barters pin."""

import hashlib
import json
import math
from collections.abc import Mapping, Sequence

from django.db import transaction

from core.models import Assistant
from core.services import codex_clauses_validate
from core.unset import UNSET, Unset, given

from ..exceptions import (
    OutOfRange,
)
from ..models import (
    PromptCurriculumVault,
    RitualTagBundle,
)
from ..selectors import curricula_for_export

EXPORT_FORMAT_VERSION = 1


def codex_alignment_validate(alignment: Mapping) -> dict[str, float]:
    """codex_alignment maps existing clause codes to numbers in [0, 1]."""
    clean: dict[str, float] = {}
    for code, value in alignment.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, int) and not 0 <= value <= 1)
            or not math.isfinite(value)
            or not 0 <= value <= 1
        ):
            raise OutOfRange(
                f"codex_alignment[{code!r}] must be a number in [0, 1].", field="codex_alignment"
            )
        clean[str(code)] = value
    codex_clauses_validate(list(clean), field="codex_alignment")
    return clean


def curriculum_export_build(curriculum: PromptCurriculumVault) -> dict:
    """The snapshot of a curriculum: its bundles, their rituals and each ritual's prompt steps.

    Steps name the prompt by id, title and content hash, never its body (bodies are what a
    licence buys); a private prompt is named by id only. ``curriculum`` must come from
    ``curricula_for_export()`` so this costs no query.
    """
    bundles = []
    for bundle in curriculum.ritual_tags.all():
        rituals = []
        for ritual in bundle.rituals.all():
            steps = []
            for step in ritual.steps.all():
                entry: dict = {"position": step.position, "prompt": step.prompt_id}
                if step.prompt.is_public:
                    entry.update(title=step.prompt.title, content_hash=step.prompt.content_hash)
                steps.append(entry)
            rituals.append(
                {
                    "id": ritual.pk,
                    "name": ritual.name,
                    "description": ritual.description,
                    "codex_clauses": list(ritual.codex_clauses),
                    "steps": steps,
                }
            )
        bundles.append(
            {
                "id": bundle.pk,
                "tag_name": bundle.tag_name,
                "codex_clauses": list(bundle.codex_clauses),
                "rituals": rituals,
            }
        )
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "curriculum": {
            "id": curriculum.pk,
            "title": curriculum.curriculum_title,
            "curator": curriculum.curator_id,
            "codex_alignment": dict(sorted(curriculum.codex_alignment.items())),
        },
        "bundles": bundles,
    }


def curricula_export_rebuild(*, curriculum_ids: Sequence[int]) -> dict[int, dict]:
    """Rebuild exported_json of these curricula (a constant number of queries for any count).
    Returns the new snapshots by curriculum id."""
    if not curriculum_ids:
        return {}
    # Lock the rows first, in id order (no deadlock between two rebuilds): a second rebuild of a
    # curriculum waits, then reads what the first committed, so neither change is lost.
    ids = sorted(set(curriculum_ids))
    list(
        PromptCurriculumVault.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk")
    )
    curricula = list(curricula_for_export().filter(pk__in=ids))
    for curriculum in curricula:
        curriculum.exported_json = curriculum_export_build(curriculum)
    PromptCurriculumVault.objects.bulk_update(curricula, ["exported_json"], batch_size=500)
    return {c.pk: c.exported_json for c in curricula}


@transaction.atomic
def curriculum_create(
    *,
    curator: Assistant,
    curriculum_title: str,
    ritual_tags: Sequence[RitualTagBundle] = (),
    codex_alignment: Mapping | None = None,
    token_cost_cents: int = 0,
    is_active: bool = True,
    cloned_from: PromptCurriculumVault | None = None,
) -> PromptCurriculumVault:
    """A curriculum of ritual bundles; codex_alignment keys must be clauses, values in [0, 1].
    exported_json is built in the same transaction."""
    alignment = codex_alignment_validate(codex_alignment or {})
    curriculum = PromptCurriculumVault.objects.create(
        curator=curator,
        curriculum_title=curriculum_title,
        codex_alignment=alignment,
        token_cost_cents=token_cost_cents,
        is_active=is_active,
        cloned_from=cloned_from,
    )
    curriculum.ritual_tags.set(ritual_tags)
    curriculum.exported_json = curricula_export_rebuild(curriculum_ids=[curriculum.pk])[
        curriculum.pk
    ]
    return curriculum


@transaction.atomic
def curriculum_update(
    *,
    curriculum: PromptCurriculumVault,
    ritual_tags: Sequence[RitualTagBundle] | None = None,
    curriculum_title: str | Unset = UNSET,
    codex_alignment: Mapping | Unset = UNSET,
    token_cost_cents: int | Unset = UNSET,
    is_active: bool | Unset = UNSET,
) -> PromptCurriculumVault:
    """The curator changes its curriculum (only the fields given are written); exported_json
    is rebuilt in the same transaction."""
    fields = given(
        curriculum_title=curriculum_title,
        codex_alignment=codex_alignment,
        token_cost_cents=token_cost_cents,
        is_active=is_active,
    )
    if "codex_alignment" in fields:
        fields["codex_alignment"] = codex_alignment_validate(fields["codex_alignment"])
    for key, value in fields.items():
        setattr(curriculum, key, value)
    # Name the columns: a full save would write back a stale adopter_count over a concurrent buy.
    curriculum.save(update_fields=[*fields.keys()])
    if ritual_tags is not None:
        curriculum.ritual_tags.set(ritual_tags)
    curriculum.exported_json = curricula_export_rebuild(curriculum_ids=[curriculum.pk])[
        curriculum.pk
    ]
    return curriculum


@transaction.atomic
def curriculum_delete(*, curriculum: PromptCurriculumVault) -> None:
    """A curriculum somebody adopted cannot be deleted (409 ``protected``): delist it instead."""
    curriculum.delete()


def curriculum_state_marker(curriculum: PromptCurriculumVault) -> str:
    """SHA-256 of what a barter swaps: cost, activity, alignment and the exported snapshot (its
    bundles, rituals and prompt steps, rebuilt on every change). Equal markers: same deal."""
    state = {
        "token_cost_cents": curriculum.token_cost_cents,
        "is_active": curriculum.is_active,
        "codex_alignment": curriculum.codex_alignment,
        "exported_json": curriculum.exported_json,
    }
    raw = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
