"""Participant-level bootstrap: one resampling loop for probe CIs and for paired differences.

Participants (rows of the pooled out-of-fold predictions) are drawn with replacement, ``n`` times,
from ``numpy.random.default_rng(seed)``; each draw is ``rng.integers(0, size, size)``. Resamples on
which the statistic is undefined (NaN, e.g. one class only) are dropped before the percentile CI.
The draws are the ones the harness has always made, so committed CIs re-score bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.metrics import Metric, get_metric


def bootstrap_values(statistic: Callable[[np.ndarray], float], size: int, *, n: int, seed: int) -> np.ndarray:
    """``statistic(idx)`` for ``n`` participant resamples ``idx`` of ``range(size)``."""
    rng = np.random.default_rng(seed)
    values = np.empty(n)
    for i in range(n):
        values[i] = statistic(rng.integers(0, size, size))
    return values


def percentile_ci(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Central percentile interval of the finite ``values``."""
    values = values[np.isfinite(values)]
    alpha = (1 - confidence) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def _metric(metric: Metric | str) -> Metric:
    return metric if isinstance(metric, Metric) else get_metric(metric)


def bootstrap_ci(metric: Metric | str, y: np.ndarray, pred: np.ndarray, *, n: int, seed: int,
                 confidence: float) -> tuple[float, float]:
    """Percentile CI of ``metric`` over participant resamples of one set of predictions."""
    fn = _metric(metric).function
    values = bootstrap_values(lambda idx: fn(y[idx], pred[idx]), len(y), n=n, seed=seed)
    return percentile_ci(values, confidence)


def paired_bootstrap_ci(metric: Metric | str, y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, *,
                        n: int, seed: int, confidence: float) -> tuple[float, float]:
    """Percentile CI of ``metric(a) - metric(b)``, both scored on the same participant resample."""
    fn = _metric(metric).function
    values = bootstrap_values(lambda idx: fn(y[idx], pred_a[idx]) - fn(y[idx], pred_b[idx]), len(y),
                              n=n, seed=seed)
    return percentile_ci(values, confidence)


def cluster_bootstrap_values(statistic: Callable[[np.ndarray], float], groups: np.ndarray, *, n: int,
                             seed: int) -> np.ndarray:
    """``statistic(rows)`` over participant resamples when a participant has several rows (window-level
    tasks): each drawn participant brings all of its rows, so windows of one person never count as
    independent evidence."""
    _, inverse = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(int(inverse.max()) + 1)]
    return bootstrap_values(lambda idx: statistic(np.concatenate([members[i] for i in idx])), len(members),
                            n=n, seed=seed)


def cluster_bootstrap_ci(metric: Metric | str, y: np.ndarray, pred: np.ndarray, groups: np.ndarray, *, n: int,
                         seed: int, confidence: float) -> tuple[float, float]:
    """Percentile CI of ``metric`` over participant-cluster resamples (see :func:`cluster_bootstrap_values`)."""
    fn = _metric(metric).function
    return percentile_ci(cluster_bootstrap_values(lambda rows: fn(y[rows], pred[rows]), groups, n=n, seed=seed),
                         confidence)
