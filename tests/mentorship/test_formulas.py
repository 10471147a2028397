"""The derived numbers, each from one function named after its formula."""

import pytest

from economy.services import adopters_over_all_assistants
from mentorship.selectors import mentor_score_sum_trust_delta_over_n_plus_3


@pytest.mark.parametrize(
    ("total", "n", "expected"),
    [(0.0, 0, 0.0), (1.0, 1, 0.25), (-1.0, 1, -0.25), (2.5, 5, 2.5 / 8), (-3.0, 3, -0.5)],
)
def test_mentor_score(total, n, expected):
    assert mentor_score_sum_trust_delta_over_n_plus_3(trust_delta_sum=total, n=n) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("adopters", "assistants", "expected"), [(0, 0, 0.0), (0, 5, 0.0), (2, 8, 0.25), (4, 4, 1.0)]
)
def test_adoption(adopters, assistants, expected):
    assert adopters_over_all_assistants(adopters=adopters, assistants=assistants) == expected
