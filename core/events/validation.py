"""An event's ``data`` checked against the catalogue before anything is written."""

import re
from collections.abc import Callable
from typing import Any

from .catalogue import CATALOGUE

MONEY_RE = re.compile(r"^\d+\.\d{2}$")

_CHECKS: dict[str, Callable[[Any], bool]] = {
    "id": lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
    "ids": lambda v: (
        isinstance(v, list)
        and all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in v)
    ),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "money": lambda v: isinstance(v, str) and bool(MONEY_RE.match(v)),
}


def event_data_validate(*, type: str, data: dict[str, Any]) -> None:
    """``data`` must have exactly the catalogue's keys for ``type``, each of its kind: an event
    is a published contract, so a service that drifts from it fails loudly (ValueError)."""
    spec = CATALOGUE.get(type)
    if spec is None:
        raise ValueError(f"Unknown event type {type!r}: add it to core.events.CATALOGUE.")
    if set(data) != set(spec.fields):
        raise ValueError(f"{type}: data keys {sorted(data)} != catalogue {sorted(spec.fields)}.")
    for key, f in spec.fields.items():
        value = data[key]
        if value is None and f.nullable:
            continue
        if not _CHECKS[f.kind](value):
            raise ValueError(f"{type}: data[{key!r}] = {value!r} is not a {f.kind}.")
