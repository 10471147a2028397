"""Codex clauses: the vocabulary prompts and curricula cite."""

from collections.abc import Sequence

from django.db import transaction

from ..exceptions import (
    ClauseInUse,
    InvalidInput,
    UnknownCodexClause,
)
from ..models import (
    CodexClause,
)
from ..selectors import codex_clause_in_use, codex_codes_unknown


def codex_clauses_validate(codes: Sequence[str], *, field: str = "codex_clauses") -> None:
    """Every codex_clauses list and codex_alignment key must name an existing clause."""
    unknown = codex_codes_unknown(list(codes))
    if unknown:
        raise UnknownCodexClause(f"Unknown codex clause(s): {', '.join(unknown)}.", field=field)


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
