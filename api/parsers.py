import json

from django.conf import settings
from rest_framework import exceptions, parsers

from .errors import RequestTooLarge


def _reject_constant(value: str):
    raise ValueError(f"{value} is not valid JSON")


class JSONParser(parsers.JSONParser):
    """JSON only, strict (no NaN/Infinity), and bounded in size (413 ``request_too_large``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        if not raw:
            return {}
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting
            raise exceptions.ParseError(f"JSON parse error: {exc}") from exc
