"""The economy's formulas against hand-computed values; the SQL form equals the Python form."""

import pytest
from django.db.models import F

from core.models import Prompt
from economy.formulas import (
    adopters_over_all_assistants,
    bayesian_trust_score,
    bayesian_trust_score_sql,
    dreamframe_volatility,
    reputation_trust_score,
    trust_ema,
)
from tests.factories import PromptFactory


@pytest.mark.parametrize(
    ("weights", "effectiveness", "approval", "expected"),
    [
        ((0.5, 0.5), 1.0, 0.0, 0.5),
        ((0.5, 0.5), 0.4, 0.8, 0.6),
        ((0.7, 0.3), 1.0, 0.0, 0.7),
        ((0.7, 0.3), 0.2, 0.9, 0.14 + 0.27),
        ((0.0, 1.0), 0.9, 0.25, 0.25),
    ],
)
def test_reputation_trust_score_is_the_weighted_sum(
    settings, weights, effectiveness, approval, expected
):
    settings.REPUTATION_WEIGHTS = {
        "ritual_effectiveness": weights[0],
        "assistant_approval": weights[1],
    }
    assert reputation_trust_score(
        ritual_effectiveness=effectiveness, assistant_approval=approval
    ) == pytest.approx(expected)


BAYES_CASES = [
    # (C, m, Σ, n, (C·m + Σ) / (C + n) worked by hand)
    (5, 0.5, 0.0, 0, 2.5 / 5),
    (5, 0.5, 3.0, 3, 5.5 / 8),
    (5, 0.5, 0.0, 4, 2.5 / 9),
    (2, 0.8, 1.5, 2, 3.1 / 4),
    (10, 0.0, 7.5, 10, 7.5 / 20),
    (0.5, 1.0, 0.25, 1, 0.75 / 1.5),
]


@pytest.mark.parametrize(("c", "m", "total", "n", "expected"), BAYES_CASES)
def test_bayesian_trust_score_is_the_bayesian_average(settings, c, m, total, n, expected):
    settings.REPUTATION_PRIOR_WEIGHT = c
    settings.REPUTATION_PRIOR_MEAN = m
    assert bayesian_trust_score(total, n) == pytest.approx(expected)


@pytest.mark.django_db
@pytest.mark.parametrize(("c", "m", "total", "n", "expected"), BAYES_CASES)
def test_bayesian_trust_score_sql_equals_the_python_form(settings, c, m, total, n, expected):
    """The UPDATE the rating service runs stores what the Python form computes (an integer C
    and n must not turn it into integer division)."""
    settings.REPUTATION_PRIOR_WEIGHT = c
    settings.REPUTATION_PRIOR_MEAN = m
    prompt = PromptFactory()
    Prompt.objects.filter(pk=prompt.pk).update(rating_sum=total, rating_count=n)
    Prompt.objects.filter(pk=prompt.pk).update(
        trust_score=bayesian_trust_score_sql(F("rating_sum"), F("rating_count"))
    )
    prompt.refresh_from_db()
    assert prompt.trust_score == pytest.approx(bayesian_trust_score(total, n), abs=1e-12)
    assert prompt.trust_score == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("adopters", "assistants", "expected"),
    [(0, 0, 0.0), (3, 0, 0.0), (0, 5, 0.0), (1, 4, 0.25), (2, 8, 0.25), (4, 4, 1.0), (5, 4, 1.0)],
)
def test_adopters_over_all_assistants(adopters, assistants, expected):
    assert adopters_over_all_assistants(adopters=adopters, assistants=assistants) == expected


@pytest.mark.parametrize(
    ("alpha", "previous", "observed", "expected"),
    [
        (0.3, 0.5, 1.0, 0.3 * 1.0 + 0.7 * 0.5),
        (0.3, 0.2, 0.0, 0.7 * 0.2),
        (0.3, 1.0, 1.0, 1.0),
        (0.5, 0.2, 0.6, 0.4),
        (1.0, 0.9, 0.1, 0.1),
    ],
)
def test_trust_ema(settings, alpha, previous, observed, expected):
    settings.TRUST_EMA_ALPHA = alpha
    assert trust_ema(previous, observed) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("alpha", "volatility", "resonance", "observed", "expected"),
    [
        (0.3, 0.0, 0.2, 0.7, 0.3 * 0.5),
        (0.3, 0.1, 0.9, 0.4, 0.3 * 0.5 + 0.7 * 0.1),
        (0.3, 0.5, 0.6, 0.6, 0.7 * 0.5),
        (1.0, 0.4, 0.0, 1.0, 1.0),
    ],
)
def test_dreamframe_volatility_is_the_ema_of_the_resonance_change(
    settings, alpha, volatility, resonance, observed, expected
):
    settings.TRUST_EMA_ALPHA = alpha
    assert dreamframe_volatility(
        previous_volatility=volatility, previous_resonance=resonance, observed_resonance=observed
    ) == pytest.approx(expected)
