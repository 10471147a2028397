"""Start-up validation of the formula constants (``manage.py check``, ``runserver``, ``migrate``
and ``make serve`` fail on an error): a bad weight or prior would silently skew every score."""

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any, TypeGuard

from django.conf import settings
from django.core import checks

WEIGHT_NAMES = ("ritual_effectiveness", "assistant_approval")


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def formula_settings_check(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list:
    """REPUTATION_WEIGHTS has exactly the two input names, non-negative, summing to 1;
    0 ≤ REPUTATION_PRIOR_MEAN ≤ 1; REPUTATION_PRIOR_WEIGHT > 0; 0 < TRUST_EMA_ALPHA ≤ 1."""
    errors: list[checks.CheckMessage] = []

    weights = getattr(settings, "REPUTATION_WEIGHTS", None)
    if (
        not isinstance(weights, dict)
        or set(weights) != set(WEIGHT_NAMES)
        or not all(_number(w) and w >= 0 for w in weights.values())
    ):
        errors.append(
            checks.Error(
                f"REPUTATION_WEIGHTS must map exactly {', '.join(WEIGHT_NAMES)} to non-negative "
                f"numbers; got {weights!r}.",
                id="economy.E001",
            )
        )
    elif not math.isclose(math.fsum(weights.values()), 1.0, abs_tol=1e-9):
        errors.append(
            checks.Error(
                f"REPUTATION_WEIGHTS must sum to 1; they sum to {math.fsum(weights.values())}.",
                id="economy.E002",
            )
        )

    mean = getattr(settings, "REPUTATION_PRIOR_MEAN", None)
    if not (_number(mean) and 0 <= mean <= 1):
        errors.append(
            checks.Error(
                f"REPUTATION_PRIOR_MEAN (m) must be a number in [0, 1]; got {mean!r}.",
                id="economy.E003",
            )
        )

    weight = getattr(settings, "REPUTATION_PRIOR_WEIGHT", None)
    if not (_number(weight) and weight > 0):
        errors.append(
            checks.Error(
                f"REPUTATION_PRIOR_WEIGHT (C) must be a number above 0; got {weight!r}.",
                id="economy.E004",
            )
        )

    alpha = getattr(settings, "TRUST_EMA_ALPHA", None)
    if not (_number(alpha) and 0 < alpha <= 1):
        errors.append(
            checks.Error(
                f"TRUST_EMA_ALPHA (alpha) must be a number with 0 < alpha ≤ 1; got {alpha!r}.",
                id="economy.E005",
            )
        )
    return errors
