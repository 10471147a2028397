"""Request body fields read as the API's serializers read them, with the same refusals:
a primary key, a bounded finite number, ``api.fields.MoneyField`` (optional cents), DRF's
optional positive ``IntegerField`` and a list of tags (stripped, deduplicated)."""

from __future__ import annotations

import math
import re

from bench.limit.constants import MAX_TAG_LENGTH, MAX_TAGS, MAX_TOKENS_CENTS, MONEY_RE
from bench.limit.refusals import Refused
from economy.money import to_cents


def read_pk(body: dict, field: str) -> int:
    if field not in body:
        raise Refused(400, "required", "This field is required.", field)
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, int | str):
        name = type(value).__name__
        raise Refused(
            400, "incorrect_type", f"Incorrect type. Expected pk value, received {name}.", field
        )
    try:
        return int(value)
    except ValueError:
        raise Refused(
            400, "incorrect_type", "Incorrect type. Expected pk value, received str.", field
        ) from None


def read_number(body: dict, field: str, low: float, high: float) -> float:
    if field not in body:
        raise Refused(400, "required", "This field is required.", field)
    value = body[field]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Refused(400, "invalid", "A valid number is required.", field)
    if not low <= value <= high:
        raise Refused(400, "max_value" if value > high else "min_value", "Out of range.", field)
    return float(value)


def read_money(body: dict, field: str) -> int | None:
    """``api.fields.MoneyField`` (optional): a plain decimal string or number, ≥ 0, ≤ 2 places."""
    if field not in body:
        return None
    value = body[field]
    invalid = 'Enter an amount with at most 2 decimal places, e.g. "10.00".'
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Refused(400, "invalid", invalid, field)
    text = str(value)
    if text.startswith("-") and MONEY_RE.fullmatch(text[1:]) and text[1:].strip("0.") != "":
        raise Refused(400, "negative", "The amount must not be negative.", field)
    if not MONEY_RE.fullmatch(text):
        raise Refused(400, "invalid", invalid, field)
    cents = to_cents(text)
    if cents > MAX_TOKENS_CENTS:
        raise Refused(400, "too_large", "The amount is too large.", field)
    return cents


def read_version(body: dict, field: str) -> int | None:
    """DRF's IntegerField(min_value=1, max_value=2**31 - 1), optional."""
    if field not in body:
        return None
    value = body[field]
    numeric_text = isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
    if numeric_text or (isinstance(value, float) and value.is_integer()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(400, "invalid", "A valid integer is required.", field)
    if value < 1:
        raise Refused(400, "min_value", "Ensure this value is greater than or equal to 1.", field)
    if value > 2**31 - 1:
        raise Refused(
            400, "max_value", f"Ensure this value is less than or equal to {2**31 - 1}.", field
        )
    return value


def read_tags(body: dict, field: str) -> list[str]:
    raw = body.get(field, [])
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise Refused(400, "invalid", "Not a valid list of tags.", field)
    tags = []
    for tag in raw:
        if not isinstance(tag, str | int | float) or isinstance(tag, bool):
            raise Refused(400, "invalid", "Not a valid string.", field)
        text = str(tag).strip()
        if not text or len(text) > MAX_TAG_LENGTH:
            raise Refused(400, "invalid", "Not a valid tag.", field)
        tags.append(text)
    return list(dict.fromkeys(tags))
