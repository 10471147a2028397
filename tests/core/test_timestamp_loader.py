"""Timestamps from PostgreSQL are parsed in C (``core.db``) into exactly what Django's own loader
gives: the same instant, ``tzinfo`` the same ``datetime.timezone.utc``; anything the fast path
does not read goes to Django's loader."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.pq import Format

from core.db import UtcTimestamptzLoader
from tests.factories import PromptFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("psycopg's loaders are PostgreSQL's")


class DjangoUtcLoader(BaseTzLoader):
    timezone = UTC


def _both(text: bytes):
    """(fast, Django's) loads of one timestamptz text, on this connection."""
    conn = connection.connection
    oid = conn.adapters.types["timestamptz"].oid
    return UtcTimestamptzLoader(oid, conn).load(text), DjangoUtcLoader(oid, conn).load(text)


def test_the_connection_loads_timestamps_with_the_fast_loader():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        value = cursor.fetchone()[0]
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, Format.TEXT
    )
    assert loader is UtcTimestamptzLoader
    assert value.tzinfo is UTC


def test_a_model_reads_back_the_instant_it_wrote():
    prompt = PromptFactory()
    moment = datetime.datetime(2026, 11, 21, 23, 45, 14, 120000, tzinfo=UTC)
    type(prompt).objects.filter(pk=prompt.pk).update(created_at=moment)
    read = type(prompt).objects.values_list("created_at", flat=True).get(pk=prompt.pk)
    assert read == moment
    assert read.tzinfo is UTC


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime.datetime(1, 1, 2),
        max_value=datetime.datetime(9999, 12, 30),
        timezones=st.just(UTC),
    )
)
def test_every_instant_loads_as_django_loads_it(moment):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz, %s::timestamptz::text", [moment, moment])
        loaded, text = cursor.fetchone()
    fast, django = _both(text.encode())
    assert loaded == fast == django == moment
    assert loaded.tzinfo is fast.tzinfo is django.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        b"2026-11-21 23:45:14+00",
        b"2026-11-21 23:45:14.1+00",
        b"2026-11-21 23:45:14.000001+00",
        b"2026-11-21 23:45:14.123456+01",  # another offset: Django's loader
        b"2026-11-21 23:45:14.123456-05:30",
        b"0001-01-01 00:00:00+00",
    ],
)
def test_texts_load_as_django_loads_them(text):
    fast, django = _both(text)
    assert fast == django
    assert fast.tzinfo is django.tzinfo


@pytest.mark.parametrize("text", [b"infinity", b"10000-01-01 00:00:00+00", b"0044-03-15 BC"])
def test_what_python_cannot_hold_fails_as_in_django(text):
    conn = connection.connection
    oid = conn.adapters.types["timestamptz"].oid
    with pytest.raises(psycopg.DataError) as django_error:
        DjangoUtcLoader(oid, conn).load(text)
    with pytest.raises(psycopg.DataError) as fast_error:
        UtcTimestamptzLoader(oid, conn).load(text)
    assert str(fast_error.value) == str(django_error.value)
