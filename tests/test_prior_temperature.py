"""The prior's temperature as RAVE's exported prior applies it: softplus(inlet) / ln 2."""

from __future__ import annotations

import math

import pytest
import torch

from electone_rave.evaluation.prior_generation import effective_temperature, inlet_value


def rave_export_temperature(inlet: float) -> float:
    """acids-rave 2.3.1 scripts/export.py, the exported prior's forward: softplus(temp) / log(2)."""
    return float(torch.nn.functional.softplus(torch.tensor(inlet, dtype=torch.float64)) / math.log(2))


@pytest.mark.parametrize("inlet", [-3.0, -0.88, 0.0, 0.5, 1.0, 1.5, 4.0])
def test_effective_temperature_is_what_rave_divides_the_logits_by(inlet):
    assert effective_temperature(inlet) == pytest.approx(rave_export_temperature(inlet), rel=1e-12)


def test_the_inlet_value_plays_the_asked_temperature():
    assert inlet_value(1.0) == pytest.approx(0.0, abs=1e-12)  # the default generation: inlet 0
    assert rave_export_temperature(1.0) == pytest.approx(1.89, abs=0.005)  # what typing "1.0" used to give
    for temperature in (0.1, 0.5, 1.0, 1.5, 3.0):
        assert rave_export_temperature(inlet_value(temperature)) == pytest.approx(temperature, rel=1e-9)
    assert [round(inlet_value(t), 2) for t in (0.5, 1.0, 1.5)] == [-0.88, 0.0, 0.6]


def test_a_temperature_the_prior_cannot_play_is_refused():
    with pytest.raises(ValueError, match="temperature 0: .* always > 0"):
        inlet_value(0.0)
