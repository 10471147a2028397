"""The formula constants are validated at start-up: each bad value is a system-check error, so
``manage.py check`` (and ``runserver``, ``migrate``, ``make serve``) fail."""

import math

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from economy.checks import formula_settings_check


def test_the_shipped_settings_pass():
    assert formula_settings_check() == []


def _ids() -> list[str]:
    return [e.id for e in formula_settings_check()]


@pytest.mark.parametrize(
    ("weights", "error"),
    [
        ({"ritual_effectiveness": 0.5, "assistant_approval": 0.6}, "economy.E002"),
        ({"ritual_effectiveness": 0.3, "assistant_approval": 0.3}, "economy.E002"),
        ({"ritual_effectiveness": 1.5, "assistant_approval": -0.5}, "economy.E001"),
        ({"ritual_effectiveness": 1.0}, "economy.E001"),
        ({"ritual_effectiveness": 0.5, "assistant_approval": 0.5, "x": 0.0}, "economy.E001"),
        ({"ritual_effectiveness": "0.5", "assistant_approval": 0.5}, "economy.E001"),
        ({"ritual_effectiveness": math.nan, "assistant_approval": 0.5}, "economy.E001"),
        ([0.5, 0.5], "economy.E001"),
    ],
)
def test_reputation_weights_must_be_the_two_inputs_in_the_unit_interval_summing_to_1(
    weights, error
):
    with override_settings(REPUTATION_WEIGHTS=weights):
        assert _ids() == [error]


@pytest.mark.parametrize("weights", [(1.0, 0.0), (0.7, 0.3), (0.1, 0.9)])
def test_weights_summing_to_1_pass(weights):
    with override_settings(
        REPUTATION_WEIGHTS={"ritual_effectiveness": weights[0], "assistant_approval": weights[1]}
    ):
        assert _ids() == []


@pytest.mark.parametrize("mean", [-0.01, 1.01, math.inf, None, "0.5", True])
def test_prior_mean_must_be_in_the_unit_interval(mean):
    with override_settings(REPUTATION_PRIOR_MEAN=mean):
        assert _ids() == ["economy.E003"]


@pytest.mark.parametrize("mean", [0, 0.0, 0.5, 1])
def test_prior_mean_bounds_pass(mean):
    with override_settings(REPUTATION_PRIOR_MEAN=mean):
        assert _ids() == []


@pytest.mark.parametrize("weight", [0, 0.0, -5, math.nan, None, "5"])
def test_prior_weight_must_be_above_0(weight):
    with override_settings(REPUTATION_PRIOR_WEIGHT=weight):
        assert _ids() == ["economy.E004"]


@pytest.mark.parametrize("alpha", [0, 0.0, -0.3, 1.0001, math.nan, None, "0.3"])
def test_ema_alpha_must_be_in_0_excluded_to_1(alpha):
    with override_settings(TRUST_EMA_ALPHA=alpha):
        assert _ids() == ["economy.E005"]


@pytest.mark.parametrize("alpha", [1, 1.0, 0.001])
def test_ema_alpha_bounds_pass(alpha):
    with override_settings(TRUST_EMA_ALPHA=alpha):
        assert _ids() == []


def test_manage_py_check_fails_on_a_bad_constant():
    call_command("check")
    with override_settings(TRUST_EMA_ALPHA=0), pytest.raises(SystemCheckError, match="E005"):
        call_command("check")
