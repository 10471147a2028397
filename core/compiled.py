"""Reads compiled once: a queryset whose SQL depends only on its *shape* (which rules apply),
not on the ids it is asked about, is built and compiled by the ORM on first use with stand-in
ids, then executed on every later request with the real ids put in their place.

The ORM stays the one author of the SQL (the access rules are its ``Q``s, compiled as always);
only the per-request cost of building and compiling the same statement again goes away.
"""

import re
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import orjson
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import JSONField, QuerySet
from django.db.models.expressions import Col
from django.db.models.sql import UpdateQuery

# Stand-in ids: negative, far below any id, so they cannot collide with a real parameter.
_STAND_IN_BASE = -(10**15)
# A stand-in for a text parameter (``compiled_rows`` with a str in ``ids``): a NUL byte, which
# no real text parameter holds (PostgreSQL refuses it in text), so it cannot collide either.
_TEXT_STAND_IN = "\x00stand-in:"


def _stand_ins(ids: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: f"{_TEXT_STAND_IN}{name}" if type(ids[name]) is str else _STAND_IN_BASE - i
        for i, name in enumerate(sorted(ids))
    }


def _is_stand_in_type(value: Any) -> bool:
    return type(value) is int or type(value) is str


def _ids_by_stand_in(shape: Hashable, stand_ins: dict[str, Any], params: Any) -> dict[Any, str]:
    """Each stand-in's id name, checked to be a parameter of the compiled SQL (an id the ORM
    wrote into the SQL text would be compiled once and reused for every caller)."""
    by_value = {value: name for name, value in stand_ins.items()}
    if set(by_value) - {p for p in params if _is_stand_in_type(p)}:
        raise ValueError(f"{shape!r}: an id is not a parameter of the compiled read")
    return by_value


def _bound(params: list[Any], by_value: dict[Any, str], ids: Mapping[str, Any]) -> list[Any]:
    """The compiled parameters with this call's ids in place of the stand-ins."""
    return [ids[by_value[p]] if _is_stand_in_type(p) and p in by_value else p for p in params]


_compiled: dict[tuple[str, Hashable], tuple[str, list[Any], dict[int, str], list[str]]] = {}

# ``compiled_rows``' statements: as above, plus the compiler and its converters, so the rows
# come back as ``values()`` gives them (JSON decoded, datetimes aware, ...).
_compiled_rows: dict[
    tuple[str, Hashable], tuple[str, list[Any], dict[Any, str], list[str], list[Any]]
] = {}


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
        stand_ins = _stand_ins(ids)
        qs = build(**stand_ins)
        sql, params = qs.query.get_compiler(connection.alias).as_sql()
        by_value = _ids_by_stand_in(shape, stand_ins, params)
        names = [*qs.query.extra_select, *qs.query.values_select, *qs.query.annotation_select]
        entry = (sql, list(params), by_value, names)
        _compiled[key] = entry
    sql, params, by_value, names = entry
    bound = _bound(params, by_value, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        row = cursor.fetchone()
    return None if row is None else dict(zip(names, row, strict=True))


def compiled_rows(
    *,
    shape: Hashable,
    build: Callable[..., QuerySet],
    ids: Mapping[str, int | str],
    limit: int | None = None,
    offset: int = 0,
    flat: bool = False,
) -> list[Any]:
    """The rows of ``build(**stand_ins)`` (an unsliced ``values()`` queryset) with ``ids`` in
    place of the stand-ins, as ``values()`` dicts with the fields' converters applied (with
    ``flat``, as ``values_list()`` sequences in the same column order instead); at most
    ``limit`` of them from ``offset`` on (bound as parameters, so one statement serves every
    page). ``shape`` and ``build`` as for ``compiled_first``; an id may also be a str (e.g. a
    token's key), its stand-in then a text no real parameter holds."""
    key = (connection.alias, shape)
    entry = _compiled_rows.get(key)
    if entry is None:
        stand_ins = _stand_ins(ids)
        qs = build(**stand_ins)
        if qs.query.low_mark or qs.query.high_mark is not None:
            raise ValueError(f"{shape!r}: compiled_rows slices itself (limit, offset)")
        compiler = qs.query.get_compiler(connection.alias)
        sql, params = compiler.as_sql()
        by_value = _ids_by_stand_in(shape, stand_ins, params)
        query = qs.query  # the row's names as ``values()`` names them
        names = list(query.selected or [])
        names = names or [*query.extra_select, *query.values_select, *query.annotation_select]
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = [
            (pos, ([_json_column(f, expression) for f in functions], expression))
            for pos, (functions, expression) in compiler.get_converters(columns).items()
        ]
        entry = (sql, list(params), by_value, names, converters)
        _compiled_rows[key] = entry
    sql, params, by_value, names, converters = entry
    bound = _bound(params, by_value, ids)
    if limit is not None:
        sql = f"{sql} LIMIT %s OFFSET %s"
        bound += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        rows = cursor.fetchall()
    result: list[Any] = []
    for raw in rows:
        row = list(raw) if converters else raw
        for pos, (functions, expression) in converters:  # as the compiler applies them
            value = row[pos]
            for function in functions:
                value = function(value, expression, connection)
            row[pos] = value
        result.append(row if flat else dict(zip(names, row, strict=True)))
    return result


# A run of 19 digits or more: a number orjson may read differently (it turns an integer
# beyond 64 bits into a float), so such a text is decoded by the json module.
_LONG_DIGITS = re.compile(r"\d{19}")


def _json_column(function: Any, expression: Any) -> Any:
    """A JSON column's converter: ``JSONField.from_db_value`` decodes the text with the json
    module; a plain column of a field with no custom decoder is decoded by orjson instead (the
    same values, a few times faster). A text with a long digit run, or one orjson refuses, goes
    to ``from_db_value``. Every other converter is kept as it is."""
    field = getattr(function, "__self__", None)
    if (
        not isinstance(field, JSONField)
        or getattr(function, "__func__", None) is not JSONField.from_db_value
        or field.decoder is not None
        or type(expression) is not Col
    ):
        return function

    def from_db_value(value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        if _LONG_DIGITS.search(value) is None:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return function(value, expression, connection)

    return from_db_value


_compiled_updates: dict[tuple[str, Hashable], tuple[str, list[Any], dict[Any, str]]] = {}


def compiled_update(
    *,
    shape: Hashable,
    build: Callable[..., tuple[QuerySet, dict[str, Any]]],
    values: Mapping[str, int | float],
) -> int:
    """``qs.update(**fields)`` for ``(qs, fields) = build(**stand_ins)``, compiled by the ORM once
    per ``shape`` and run with ``values`` in place of the stand-ins; the number of rows updated.
    A value may be an int or a float (its stand-in is then a float, so the ORM resolves the same
    types); ``shape`` names everything else that changes the SQL (settings the expressions
    read, say)."""
    key = (connection.alias, shape)
    entry = _compiled_updates.get(key)
    if entry is None:
        stand_ins = {
            name: float(_STAND_IN_BASE - i) if type(values[name]) is float else _STAND_IN_BASE - i
            for i, name in enumerate(sorted(values))
        }
        qs, fields = build(**stand_ins)
        query = qs.query.chain(UpdateQuery)  # as ``QuerySet.update`` builds it
        assert isinstance(query, UpdateQuery)
        query.add_update_values(fields)
        query.annotations = {}
        sql, params = query.get_compiler(connection.alias).as_sql()
        # Django may wrap an int in a subclass (psycopg's Int4): matched by value and kind, and
        # the real value bound in the same wrapper.
        by_value = {(type(v) is float, v): name for name, v in stand_ins.items()}
        if set(by_value) - {(isinstance(p, float), p) for p in params}:
            raise ValueError(f"{shape!r}: a value is not a parameter of the compiled update")
        entry = (sql, list(params), by_value)
        _compiled_updates[key] = entry
    sql, params, by_value = entry
    bound = []
    for p in params:
        name = by_value.get((isinstance(p, float), p)) if isinstance(p, int | float) else None
        if name is None:
            bound.append(p)
            continue
        value = values[name]
        if type(value) is float and not isinstance(p, float):
            raise TypeError(f"{shape!r}: {name} was compiled as an int, got a float")
        bound.append(type(p)(value))
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        return cursor.rowcount


class CompiledRows:
    """A ``compiled_rows`` read as a paginator's object list: a slice runs the statement with
    that LIMIT/OFFSET; ``count`` is the caller's (the ORM's COUNT, run only when asked);
    ``flat`` rows as ``values_list()`` gives them."""

    ordered = True  # the statement's ORDER BY is the built queryset's

    def __init__(
        self,
        *,
        shape: Hashable,
        build: Callable[..., QuerySet],
        ids: dict[str, int],
        count: Callable[[], int],
        flat: bool = False,
    ):
        self.shape, self.build, self.ids, self._count = shape, build, ids, count
        self.flat = flat

    def count(self) -> int:
        return self._count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        if not isinstance(page, slice) or page.step is not None:
            raise TypeError("CompiledRows reads slices only")
        start = page.start or 0
        limit = None if page.stop is None else max(page.stop - start, 0)
        return compiled_rows(
            shape=self.shape,
            build=self.build,
            ids=self.ids,
            limit=limit,
            offset=start,
            flat=self.flat,
        )


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
