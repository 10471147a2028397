"""Bulk insertion of plain rows (dicts of attname -> value) for any model: the columns and
defaults from the model's fields, COPY on PostgreSQL and batched executemany elsewhere, and a
count of the rows written per model (the run's summary, and the tables whose sequences and
statistics it refreshes)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db import connection, models

from bench.seed.sizes import SeedError


class Inserter:
    """Insert rows given as dicts of attname -> value; fields left out get their default
    (``auto_now``/``auto_now_add`` get ``now``). COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, *, batch: int, now: datetime, verbose: bool):
        self.batch = batch
        self.now = now
        self.verbose = verbose
        self.postgres = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}

    def _columns(self, model: type[models.Model], sample: dict) -> list[tuple[str, str, object]]:
        cols: list[tuple[str, str, object]] = []
        for field in model._meta.concrete_fields:
            attname = field.attname
            if attname in sample:
                cols.append((attname, field.column, None))
                continue
            if field.primary_key:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default: object = self.now
            elif field.has_default():
                default = field.get_default()
            elif field.null:
                default = None
            else:
                raise SeedError(f"{model.__name__}.{attname} needs a value in seed_scale")
            cols.append((attname, field.column, default))
        return cols

    def _value(self, value: object) -> object:
        if isinstance(value, (dict, list)):
            return json.dumps(value, separators=(",", ":"))
        if not self.postgres and isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        return value

    def insert(self, model: type[models.Model], rows: Iterable[dict]) -> int:
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        cols = self._columns(model, first)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c[1]) for c in cols)
        value = self._value

        def tuples() -> Iterator[tuple]:
            for row in _chain(first, iterator):
                yield tuple(value(row.get(a, d)) for a, _, d in cols)

        n = 0
        with connection.cursor() as cursor:
            if self.postgres:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for t in tuples():
                        copy.write_row(t)
                        n += 1
            else:
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(cols))})"
                batch: list[tuple] = []
                for t in tuples():
                    batch.append(t)
                    if len(batch) >= self.batch:
                        cursor.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    n += len(batch)
        self.counts[model._meta.label] = self.counts.get(model._meta.label, 0) + n
        return n


def _chain(first: dict, rest: Iterator[dict]) -> Iterator[dict]:
    yield first
    yield from rest
