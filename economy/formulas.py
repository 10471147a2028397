"""The economy's derived numbers (SPEC 3): one pure function per formula, named after it.

Constants come from settings (``REPUTATION_WEIGHTS``, ``REPUTATION_PRIOR_MEAN``,
``REPUTATION_PRIOR_WEIGHT``, ``TRUST_EMA_ALPHA``), validated at start-up by
``economy.checks.formula_settings_check``. A formula that also runs inside the database has its
SQL form beside its Python form, and a test holds the two equal.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import ExpressionWrapper, FloatField, Value
from django.db.models.expressions import Combinable


def reputation_trust_score(*, ritual_effectiveness: float, assistant_approval: float) -> float:
    """A rating's own trust_score, the weighted trust score:

        trust_score = w_e·ritual_effectiveness + w_a·assistant_approval

    with (w_e, w_a) the configured ``REPUTATION_WEIGHTS`` (they sum to 1)."""
    weights = settings.REPUTATION_WEIGHTS
    return (
        weights["ritual_effectiveness"] * ritual_effectiveness
        + weights["assistant_approval"] * assistant_approval
    )


def bayesian_trust_score(rating_sum: float, rating_count: int) -> float:
    """A prompt's aggregate trust, the Bayesian average of its ratings' trust scores:

        trust_score = (C·m + Σ trust_score) / (C + n)

    with prior mean m = the configured ``REPUTATION_PRIOR_MEAN`` and prior weight C = the
    configured ``REPUTATION_PRIOR_WEIGHT``; n ratings summing to Σ."""
    prior_weight = float(settings.REPUTATION_PRIOR_WEIGHT)
    prior_mean = float(settings.REPUTATION_PRIOR_MEAN)
    return (prior_weight * prior_mean + rating_sum) / (prior_weight + rating_count)


def bayesian_trust_score_sql(rating_sum: Combinable, rating_count: Combinable) -> Combinable:
    """``bayesian_trust_score`` as an SQL expression, (C·m + Σ) / (C + n) over expressions such
    as ``F("rating_sum") + delta``: the stored aggregate moves in one UPDATE from the row's own
    current values."""
    prior_weight = float(settings.REPUTATION_PRIOR_WEIGHT)
    prior_mean = float(settings.REPUTATION_PRIOR_MEAN)
    return ExpressionWrapper(
        (Value(prior_weight * prior_mean) + rating_sum) / (Value(prior_weight) + rating_count),
        output_field=FloatField(),
    )


def adopters_over_all_assistants(*, adopters: int, assistants: int) -> float:
    """adoption = distinct adopters / all assistants (0.0 when there are no assistants, at most 1).

    A listing's ``swarm_adoption_score`` (assistants that bought or injected it); the curricula's
    adoption numbers (``mentorship.formulas``) are this formula over their own adopters."""
    if assistants <= 0:
        return 0.0
    return min(1.0, adopters / assistants)


def trust_ema(previous: float, observed: float) -> float:
    """The trust map's exponential moving average, clamped to [0, 1] against float rounding:

        new = alpha·observed + (1 - alpha)·previous

    with alpha = the configured ``TRUST_EMA_ALPHA`` (0 < alpha ≤ 1)."""
    alpha = settings.TRUST_EMA_ALPHA
    return min(1.0, max(0.0, alpha * observed + (1 - alpha) * previous))


def dreamframe_volatility(
    *, previous_volatility: float, previous_resonance: float, observed_resonance: float
) -> float:
    """dreamframe_volatility = the trust EMA of |Δ resonance|:

        new = alpha·|observed_resonance - previous_resonance| + (1 - alpha)·previous_volatility

    where previous_resonance is the map's resonance_score before the observation."""
    return trust_ema(previous_volatility, abs(observed_resonance - previous_resonance))
