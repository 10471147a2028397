"""Writes of the core domain, one module per resource; this package re-exports their public
names. Keyword-only, one transaction each; they never see a request. A module here imports its
siblings, never this package.
"""

from .accounts import (
    assistant_create,
    assistant_update,
    user_register,
)
from .codex import (
    codex_clause_create,
    codex_clause_delete,
    codex_clauses_validate,
)
from .licences import (
    licence_grant,
    licences_grant,
)
from .prompts import (
    PROMPT_TEXT_FIELDS,
    label_move,
    label_remove,
    prompt_audience,
    prompt_create,
    prompt_fork,
    prompt_update,
    prompt_version_create,
)
from .rituals import (
    ritual_create,
    ritual_update,
)

__all__ = [
    "PROMPT_TEXT_FIELDS",
    "assistant_create",
    "assistant_update",
    "codex_clause_create",
    "codex_clause_delete",
    "codex_clauses_validate",
    "label_move",
    "label_remove",
    "licence_grant",
    "licences_grant",
    "prompt_audience",
    "prompt_create",
    "prompt_fork",
    "prompt_update",
    "prompt_version_create",
    "ritual_create",
    "ritual_update",
    "user_register",
]
