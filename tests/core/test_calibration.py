"""Brier score and ECE against scikit-learn and a hand computation."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from harness.calibration import calibration


def test_brier_and_reliability_curve_match_scikit_learn():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 500)
    y = (rng.uniform(0, 1, 500) < p ** 2).astype(float)  # over-confident scores
    c = calibration(y, p)
    assert c.brier == pytest.approx(brier_score_loss(y, p))
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(c.observed, observed)
    np.testing.assert_allclose(c.mean_predicted, predicted)
    assert sum(c.counts) == 500 and c.ece > 0.05


def test_ece_by_hand_and_perfect_calibration():
    y = np.array([0, 0, 1, 1, 1, 0], float)
    p = np.array([0.05, 0.05, 0.95, 0.95, 0.55, 0.55])
    c = calibration(y, p)
    # bins: [0.0,0.1): p .05 x2, rate 0 -> |0-.05| * 2/6; [0.9,1): .95 x2, rate 1 -> .05 * 2/6; [0.5,0.6): .55, rate .5
    assert c.ece == pytest.approx((2 * 0.05 + 2 * 0.05 + 2 * 0.05) / 6)
    exact = calibration(np.array([0, 1, 1, 0], float), np.array([0.0, 1.0, 1.0, 0.0]))
    assert exact.ece == 0.0 and exact.brier == 0.0


@pytest.mark.parametrize(("y", "p"), [([0, 2], [0.1, 0.2]), ([0, 1], [0.1, 1.2]), ([0, 1], [0.1]), ([], [])])
def test_bad_input_is_refused(y, p):
    with pytest.raises(ValueError):
        calibration(np.array(y, float), np.array(p, float))
