import json
from decimal import Decimal

from django.conf import settings
from rest_framework import exceptions, parsers

from .errors import RequestTooLarge

# Deeper than any body of this API needs; far below the interpreter's recursion limit, so no
# field's own recursive walk (validation, json.dumps, the database adapter) can overflow.
MAX_JSON_DEPTH = 64


def _reject_constant(value: str):
    raise ValueError(f"{value} is not valid JSON")


def _parse_int(literal: str) -> int | Decimal:
    # int() drops the sign of "-0"; a Decimal keeps it, so money can refuse it as written.
    return Decimal(literal) if literal == "-0" else int(literal)


def _check_depth_and_text(value) -> None:
    """Refuse nesting past MAX_JSON_DEPTH and strings (keys too) that are not Unicode text:
    a lone surrogate (``"\\ud800"``) cannot be stored, encoded or compared safely."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            children = node
        else:
            if isinstance(node, str):
                try:
                    node.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("strings must be Unicode text (a lone surrogate)") from None
            continue
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    """JSON only, strict (no NaN/Infinity), bounded in size (413 ``request_too_large``) and in
    depth, Unicode text only. Numbers keep their literal: a fraction or exponent arrives as a
    ``Decimal``, never a float, so money sees exactly what was written."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        if not raw:
            return {}
        try:
            data = json.loads(
                raw.decode("utf-8"),
                parse_constant=_reject_constant,
                parse_float=Decimal,
                parse_int=_parse_int,
            )
            _check_depth_and_text(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nesting
            raise exceptions.ParseError(f"JSON parse error: {exc}") from exc
        return data
