"""Scores from pooled out-of-fold predictions: the one function the probe scores with and the leaderboard
re-derives with, so a stored score can be checked against its predictions bit for bit.

Each metric of a task gets its reference point estimate and a participant-bootstrap percentile CI; the
``i``-th metric's bootstrap is seeded ``seed + 1000 + i`` (the draws the harness has always made).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.bootstrap import bootstrap_ci, cluster_bootstrap_ci
from harness.metrics import get_metric

#: offset of the bootstrap seeds from the probe's split seed (metric ``i`` uses ``seed + OFFSET + i``)
BOOTSTRAP_SEED_OFFSET = 1000


def score_predictions(metrics: Sequence[str], y: np.ndarray, pred: np.ndarray, *, bootstrap: int, seed: int,
                      confidence: float, groups: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """``{metric: {"value", "ci_low", "ci_high"}}`` of pooled predictions ``pred`` of targets ``y``.

    ``groups`` (the participant of each row, for window-level tasks) makes the bootstrap resample
    participants with all their rows; without it each row is one participant.
    """
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    scores: dict[str, dict[str, float]] = {}
    for i, name in enumerate(metrics):
        metric = get_metric(name)
        at = seed + BOOTSTRAP_SEED_OFFSET + i
        low, high = (bootstrap_ci(metric, y, pred, n=bootstrap, seed=at, confidence=confidence) if groups is None
                     else cluster_bootstrap_ci(metric, y, pred, np.asarray(groups), n=bootstrap, seed=at,
                                               confidence=confidence))
        scores[name] = {"value": metric.reference(y, pred), "ci_low": low, "ci_high": high}
    return scores
