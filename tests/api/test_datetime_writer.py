"""``datetime_writer`` writes what DRF's ``DateTimeField`` writes, through its UTC shortcut
only where the two agree (UTC current zone, ISO 8601 format)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.fields import DateTimeField
from rest_framework.settings import api_settings

from api.renderers import datetime_writer

VALUES = [
    dt.datetime(2026, 11, 21, 21, 28, 4, 278847, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 21, 21, 28, 4, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 1, 23, 30, tzinfo=ZoneInfo("America/New_York")),
    dt.datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=ZoneInfo("UTC")),
]


def _field_writes(value):
    zone = timezone.get_current_timezone()
    return DateTimeField(default_timezone=zone).to_representation(value)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Asia/Kolkata"])
def test_same_as_the_field_in_every_zone(zone):
    with timezone.override(zone):
        write = datetime_writer()
        assert [write(v) for v in VALUES] == [_field_writes(v) for v in VALUES]


def test_same_as_the_field_with_another_format(monkeypatch):
    monkeypatch.setattr(api_settings, "DATETIME_FORMAT", "%Y-%m-%d %H:%M")
    write = datetime_writer()
    assert write(VALUES[0]) == "2026-11-21 21:28"
    assert [write(v) for v in VALUES] == [_field_writes(v) for v in VALUES]


@settings(max_examples=500)
@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from([dt.UTC, ZoneInfo("UTC"), ZoneInfo("Europe/London")]),
    )
)
def test_every_utc_instant_is_written_as_the_field_writes_it(value):
    with timezone.override("UTC"):
        assert datetime_writer()(value) == _field_writes(value)
