"""The "not given" default of partial updates: a field left out of a PATCH is not written."""

from enum import Enum
from typing import Any


class Unset(Enum):
    UNSET = "unset"


UNSET = Unset.UNSET


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments the caller passed, without those left ``UNSET``."""
    return {key: value for key, value in values.items() if value is not UNSET}
