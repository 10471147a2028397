"""PostgreSQL connection set-up beyond the ORM's: timestamps loaded by the C ISO parser.

Django loads every ``timestamptz`` through its ``BaseTzLoader``, a subclass of psycopg's
pure-Python loader (a regular expression, then a datetime shifted and re-zoned): about 2 µs a
value, the largest single cost of a page of 50 listings. On a connection in UTC (``USE_TZ``
with no database ``TIME_ZONE``, the project's settings) PostgreSQL writes each value as
``2026-11-21 23:45:14.123456+00``, which ``datetime.fromisoformat`` reads in C into the same
aware datetime (``tzinfo`` is ``datetime.timezone.utc``, as Django's loader gives). Anything
else (another offset, a year past 9999, ``infinity``, a non-ISO DateStyle) goes to Django's
loader unchanged. ``register_loaders`` runs on ``connection_created`` (core.apps).
"""

from __future__ import annotations

import datetime
from typing import Any

UTC = datetime.UTC

try:
    from django.db.backends.postgresql.psycopg_any import BaseTzLoader
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite never needs this
    BaseTzLoader = None


if BaseTzLoader is not None:

    class UtcTimestamptzLoader(BaseTzLoader):
        """Django's loader for a UTC connection, with the ISO text parsed in C."""

        timezone = UTC  # what Django's ``create_cursor`` compares with the connection's

        def load(self, data: Any) -> datetime.datetime:
            try:
                value = datetime.datetime.fromisoformat(bytes(data).decode())
            except ValueError:
                return super().load(data)
            if value.tzinfo is not UTC:  # an offset other than +00: Django's way
                return super().load(data)
            return value


def register_loaders(sender: Any, connection: Any, **kwargs: Any) -> None:
    """On a new (or newly checked-out) PostgreSQL connection in UTC: the C-parsed loader."""
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    from psycopg.pq import Format

    adapters = connection.connection.adapters
    oid = adapters.types["timestamptz"].oid
    if adapters.get_loader(oid, Format.TEXT) is not UtcTimestamptzLoader:
        adapters.register_loader(oid, UtcTimestamptzLoader)
