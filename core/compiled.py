"""Reads compiled once: a queryset whose SQL depends only on its *shape* (which rules apply),
not on the ids it is asked about, is built and compiled by the ORM on first use with stand-in
ids, then executed on every later request with the real ids put in their place.

The ORM stays the one author of the SQL (the access rules are its ``Q``s, compiled as always);
only the per-request cost of building and compiling the same statement again goes away.
"""

from collections.abc import Callable, Hashable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import QuerySet

# Stand-in ids: negative, far below any id, so they cannot collide with a real parameter.
_STAND_IN_BASE = -(10**15)

_compiled: dict[tuple[str, Hashable], tuple[str, list[Any], dict[int, str], list[str]]] = {}


def compiled_first(
    *, shape: Hashable, build: Callable[..., QuerySet], ids: dict[str, int]
) -> dict[str, Any] | None:
    """The first row of ``build(**stand_ins)`` (a ``values()`` queryset of one row at most) with
    ``ids`` in place of the stand-ins, as a dict; None when there is no row.

    ``shape`` names everything besides ``ids`` that changes the SQL (e.g. "staff"); ``build``
    must use each id only as a query parameter (checked when compiling)."""
    key = (connection.alias, shape)
    entry = _compiled.get(key)
    if entry is None:
        stand_ins = {name: _STAND_IN_BASE - i for i, name in enumerate(sorted(ids))}
        qs = build(**stand_ins)
        sql, params = qs.query.get_compiler(connection.alias).as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        if set(by_value) - {p for p in params if type(p) is int}:
            raise ValueError(f"{shape!r}: an id is not a parameter of the compiled read")
        names = [*qs.query.extra_select, *qs.query.values_select, *qs.query.annotation_select]
        entry = (sql, list(params), by_value, names)
        _compiled[key] = entry
    sql, params, by_value, names = entry
    bound = [ids[by_value[p]] if type(p) is int and p in by_value else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def viewer_shape(viewer: User | AnonymousUser | None) -> tuple[str, dict[str, int]]:
    """What of a viewer changes the access rules' SQL (``core.access``): no viewer (no rule),
    staff (everything), anonymous, or a signed-in user, whose id is then a parameter ("viewer"
    in the ids; ``viewer_from`` turns its stand-in back into a user for ``build``)."""
    if viewer is None:
        return "none", {}
    if not viewer.is_authenticated:
        return "anonymous", {}
    if viewer.is_staff:
        return "staff", {}
    return "user", {"viewer": viewer.pk}


def viewer_from(
    viewer: User | AnonymousUser | None, stand_in: int | None
) -> User | AnonymousUser | None:
    """The viewer ``build`` applies the rules for: a plain user with the stand-in id when the
    shape is "user", else the viewer itself."""
    return viewer if stand_in is None else User(pk=stand_in)
