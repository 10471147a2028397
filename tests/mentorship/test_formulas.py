"""The derived numbers, each from one function named after its formula."""

import pytest

from mentorship.formulas import (
    bundle_adoption_metric,
    curriculum_adoption_rate,
    mentor_score_sum_trust_delta_over_n_plus_3,
)


@pytest.mark.parametrize(
    ("total", "n", "expected"),
    [(0.0, 0, 0.0), (1.0, 1, 0.25), (-1.0, 1, -0.25), (2.5, 5, 2.5 / 8), (-3.0, 3, -0.5)],
)
def test_mentor_score(total, n, expected):
    assert mentor_score_sum_trust_delta_over_n_plus_3(trust_delta_sum=total, n=n) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("adopters", "assistants", "expected"),
    [(0, 0, 0.0), (0, 5, 0.0), (2, 8, 0.25), (3, 4, 0.75), (4, 4, 1.0)],
)
def test_curriculum_adoption_rate_and_bundle_adoption_metric(adopters, assistants, expected):
    assert curriculum_adoption_rate(adopter_count=adopters, assistants=assistants) == expected
    assert bundle_adoption_metric(adopters=adopters, assistants=assistants) == expected
