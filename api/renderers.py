"""JSON rendered by orjson (the API's JSON renderer), byte for byte what DRF's JSONRenderer writes
for the same data (compact, UTF-8, ``U+2028``/``U+2029`` escaped).

Floats below 1e-4 (which orjson writes otherwise), dates, times, dataclasses, whatever orjson
refuses (``Decimal``, lazy strings, non-string keys) and an ``indent`` asked for
in the ``Accept`` header or by the browsable API fall back to DRF's renderer; ``str`` subclasses such as
``ErrorDetail`` are written as the strings they are, as DRF writes them.
"""

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson
from django.conf import settings
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

# Dates, times and dataclasses are refused (TypeError): DRF's encoder writes them its own way
# (datetimes to the millisecond), so they go to DRF's renderer.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class FastJSONRenderer(JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if (accepted_media_type and "indent" in accepted_media_type) or (
            renderer_context and renderer_context.get("indent")
        ):  # asked for in Accept, or by the browsable API: DRF indents
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = orjson.dumps(data, option=OPTIONS)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _small_float_in(body):
            return super().render(data, accepted_media_type, renderer_context)
        # DRF escapes these two for JavaScript embedding: so do we.
        if b"\xe2\x80" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body


def _small_float_in(body: bytes) -> bool:
    """Whether ``body`` may hold a float orjson writes otherwise than Python (so DRF): below
    1e-4 orjson writes ``0.00001`` and ``2.5e-7`` where Python writes ``1e-05`` and ``2.5e-07``
    (from ``e-10`` on they agree). The same text inside a string is a harmless false alarm."""
    if b"0.0000" in body:
        return True
    at = body.find(b"e-")
    while at != -1:
        if (
            at
            and body[at - 1 : at].isdigit()
            and body[at + 2 : at + 3].isdigit()
            and not body[at + 3 : at + 4].isdigit()
        ):
            return True
        at = body.find(b"e-", at + 2)
    return False


def datetime_writer() -> Callable[[Any], Any]:
    """``DateTimeField().to_representation`` with the current time zone fixed once for a page
    of rows (the field keeps the zone it is given instead of looking it up per value); one
    writer per zone and format, made once."""
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    return _datetime_writer(zone, str(api_settings.DATETIME_FORMAT))


@lru_cache(maxsize=64)
def _datetime_writer(zone: Any, datetime_format: str) -> Callable[[Any], Any]:
    field_writes = DateTimeField(default_timezone=zone).to_representation
    if zone is None or (getattr(zone, "key", None) != "UTC" and zone is not dt.UTC):
        return field_writes
    if datetime_format.lower() != "iso-8601":
        return field_writes

    def utc_iso(value: Any) -> Any:
        # What the field writes for an aware UTC datetime (the database's), without moving it
        # to the zone it is already in: ISO 8601 with "Z". orjson writes ``datetime.UTC`` ones
        # the same way (microseconds only when not zero), in C.
        if type(value) is dt.datetime and value.tzinfo is dt.UTC:
            return orjson.dumps(value, option=orjson.OPT_UTC_Z)[1:-1].decode()
        if type(value) is dt.datetime and value.utcoffset() == _ZERO:
            text = value.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return field_writes(value)

    return utc_iso


_ZERO = dt.timedelta(0)
