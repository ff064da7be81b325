"""Calibration of a classification probe's out-of-fold probabilities: Brier score, expected calibration
error (ECE) and the reliability curve behind both.

Computed from the predictions every result stores, so the leaderboard derives them for every
committed result without re-running anything. ECE uses equal-width bins over [0, 1] weighted by how many
participants fall in each (Guo et al. 2017); empty bins carry no weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10


@dataclass(frozen=True)
class Calibration:
    brier: float
    ece: float
    #: per non-empty bin: mean predicted probability, observed positive rate, participants
    mean_predicted: tuple[float, ...]
    observed: tuple[float, ...]
    counts: tuple[int, ...]


def _check(y_true: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1 or not len(y):
        raise ValueError(f"need two equal-length 1-d arrays, got {y.shape} and {p.shape}")
    if not set(np.unique(y)) <= {0.0, 1.0}:
        raise ValueError("labels must be 0/1")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("probabilities must lie in [0, 1]")
    return y, p


def calibration(y_true: np.ndarray, prob: np.ndarray, bins: int = BINS) -> Calibration:
    y, p = _check(y_true, prob)
    # bin i holds [i/bins, (i+1)/bins); p == 1 falls in the last bin
    which = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)
    sum_p = np.bincount(which, weights=p, minlength=bins)
    sum_y = np.bincount(which, weights=y, minlength=bins)
    used = counts > 0
    mean_p = sum_p[used] / counts[used]
    rate = sum_y[used] / counts[used]
    ece = float(np.sum(counts[used] / len(y) * np.abs(rate - mean_p)))
    return Calibration(brier=float(np.mean((p - y) ** 2)), ece=ece, mean_predicted=tuple(map(float, mean_p)),
                       observed=tuple(map(float, rate)), counts=tuple(int(c) for c in counts[used]))
