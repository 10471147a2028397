"""Serializer fields shared by every domain: money, the acting assistant, bounded lists/JSON."""

import json
import math
import re
from decimal import Decimal

from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.permissions import check_acting_assistant
from core.access import prompts_visible_to
from core.compiled import compiled_rows
from core.models import Assistant
from economy.money import format_cents, to_cents

MAX_TOKENS_CENTS = 10**14  # 1e12 tokens: far beyond any real price, far below BIGINT
# Plain ASCII decimals: no sign, exponent, underscores, spaces or non-ASCII digits.
MONEY_RE = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?", re.ASCII)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
        "example": "10.00",
        "description": "Tokens as a decimal string with at most 2 places.",
    }
)
class MoneyField(serializers.Field):
    """Tokens: integer cents inside, a ``"10.00"`` string outside. Never a float.

    Accepts a plain decimal string (ASCII digits, at most 2 places) or a JSON number written
    that way, ≥ 0 and ≤ 10¹² tokens. The JSON parser hands numbers over as written (an int, or
    a ``Decimal`` keeping the literal), so ``1e2``, ``-0`` and ``10.999999999999999999`` are
    refused as written rather than after a float rounded them; a float is never exact, so it is
    refused too.
    """

    default_error_messages = {
        "invalid": 'Enter an amount with at most 2 decimal places, e.g. "10.00".',
        "negative": "The amount must not be negative.",
        "too_large": "The amount is too large.",
    }

    def to_representation(self, value: int) -> str:
        return format_cents(value)

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal):
            self.fail("invalid")
        text = str(data)
        if text.startswith("-") and MONEY_RE.fullmatch(text[1:]) and text[1:].strip("0.") != "":
            self.fail("negative")
        if not MONEY_RE.fullmatch(text):
            self.fail("invalid")
        try:
            cents = to_cents(text)
        except ValueError:
            self.fail("invalid")
        if cents < 0:
            self.fail("negative")
        if cents > MAX_TOKENS_CENTS:
            self.fail("too_large")
        return cents


_ALL_ASSISTANTS = Assistant.objects.all()
_ASSISTANT_PK = Assistant._meta.pk
_ASSISTANT_FIELDS = [field.attname for field in Assistant._meta.concrete_fields]


class ActingAssistantField(serializers.PrimaryKeyRelatedField):
    """The assistant a write is made as. The request's user must own it (staff may act as any):
    403 ``not_your_assistant`` otherwise, before any other validation matters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", _ALL_ASSISTANTS)
        kwargs.setdefault("help_text", "The acting assistant; must be one of yours.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.pk_field is None and self.queryset is _ALL_ASSISTANTS:
            assistant = self._assistant(data)
        else:
            assistant = super().to_internal_value(data)
        return check_acting_assistant(self.context["request"].user, assistant)

    def _assistant(self, data) -> Assistant:
        """``PrimaryKeyRelatedField``'s ``queryset.get(pk=data)``, with its errors, as a read
        compiled once (``core.compiled``): the same conversion of ``data`` (the pk field's
        ``get_prep_value``), an id beyond the column's range not found, as the ORM has it."""
        try:
            if isinstance(data, bool):
                raise TypeError
            pk = _ASSISTANT_PK.get_prep_value(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        low, high = connection.ops.integer_field_range(_ASSISTANT_PK.get_internal_type())
        rows = []
        if pk is not None and (low is None or pk >= low) and (high is None or pk <= high):
            rows = compiled_rows(
                shape="acting-assistant",
                build=lambda pk: Assistant.objects.filter(pk=pk).values(*_ASSISTANT_FIELDS),
                ids={"pk": pk},
            )
        if not rows:
            self.fail("does_not_exist", pk_value=data)
        values = [rows[0][name] for name in _ASSISTANT_FIELDS]
        return Assistant.from_db(connection.alias, _ASSISTANT_FIELDS, values)


class TagListField(serializers.ListField):
    """At most 20 tags of at most 50 characters each."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "child", serializers.CharField(max_length=50, allow_blank=False, trim_whitespace=True)
        )
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class ClauseCodeListField(serializers.ListField):
    """Codex clause codes; existence is checked by the domain service (400 ``unknown_codex_clause``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.SlugField(max_length=50))
        kwargs.setdefault("max_length", 50)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.OBJECT)
class BoundedJSONObjectField(serializers.JSONField):
    """A JSON object of at most ``max_bytes`` once serialised (compact UTF-8)."""

    default_error_messages = {
        "not_an_object": "Must be a JSON object.",
        "not_finite": "Numbers must be finite.",
        "null_character": "Strings must not contain NUL characters.",
        "too_large": "Must be at most {max_bytes} bytes of JSON.",
    }

    def __init__(self, *, max_bytes: int = 64 * 1024, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def _floats(self, value):
        """The parser's exact Decimals as the floats a JSON column stores; non-finite is a 400."""
        if isinstance(value, Decimal):
            number = float(value)
            if not math.isfinite(number):
                self.fail("not_finite")
            return number
        if isinstance(value, dict):
            return {key: self._floats(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self._floats(item) for item in value]
        return value

    def to_internal_value(self, data):
        value = super().to_internal_value(self._floats(data))
        if not isinstance(value, dict):
            self.fail("not_an_object")
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        if "\x00" in text or "\\u0000" in text:
            self.fail("null_character")
        size = len(text.encode("utf-8"))
        if size > self.max_bytes:
            self.fail("too_large", max_bytes=self.max_bytes)
        return value


class PrimaryKeyListField(serializers.ListField):
    """An ordered list of ids resolved in ONE query (not one per id), order kept; repeats kept
    too unless ``distinct``. Unknown ids are a 400 ``does_not_exist`` naming them."""

    default_error_messages = {"does_not_exist": "Unknown id(s): {ids}."}

    def __init__(self, *, queryset, distinct: bool = False, **kwargs):
        self.queryset = queryset
        self.distinct = distinct
        kwargs.setdefault("child", serializers.IntegerField(min_value=1, max_value=2**63 - 1))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        ids = super().to_internal_value(data)
        if self.distinct:
            ids = list(dict.fromkeys(ids))
        found = self.queryset.in_bulk(set(ids))
        missing = sorted({i for i in ids if i not in found})
        if missing:
            self.fail("does_not_exist", ids=", ".join(map(str, missing)))
        return [found[i] for i in ids]

    def to_representation(self, data):
        # A related manager (a many-to-many on the instance) or a list of rows or ids.
        items = data.all() if hasattr(data, "all") else data
        return [getattr(item, "pk", item) for item in items]


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: "nan", "inf" and overflowing values are a 400."""

    default_error_messages = {"not_finite": "Must be a finite number."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class UnitFloatField(FiniteFloatField):
    """A finite number in [0, 1]; a JSON boolean is a 400, not 0 or 1."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0.0)
        kwargs.setdefault("max_value", 1.0)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


def _prompts_visible(field: serializers.Field):
    return prompts_visible_to(field.context["request"].user).select_related("author")


@extend_schema_field(OpenApiTypes.INT)
class VisiblePromptField(serializers.PrimaryKeyRelatedField):
    """A prompt id the request's user may see. Every other id, a private prompt of someone else
    included, is the same 400 ``does_not_exist``: no answer tells that a hidden prompt exists."""

    def get_queryset(self):
        return _prompts_visible(self)


class VisiblePromptListField(PrimaryKeyListField):
    """Prompt ids the request's user may see, resolved in one query; any other id is the same
    400 ``does_not_exist`` whether it is hidden or absent. ``distinct`` drops repeats."""

    def __init__(self, **kwargs):
        super().__init__(queryset=None, **kwargs)

    def to_internal_value(self, data):
        self.queryset = _prompts_visible(self)
        return super().to_internal_value(data)
