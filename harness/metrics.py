"""The metrics table: every score the harness reports, with its range and direction.

One :class:`Metric` per name. ``function`` is the fast implementation the bootstrap calls thousands of
times (and paired comparisons use); ``reference`` is the scikit-learn implementation that gives the
reported point estimate, exactly as the committed results were scored. The two agree to rounding
(``tests/core/test_metrics.py`` checks it); both are kept so re-scoring a stored result reproduces its
value and confidence interval bit for bit.

Who reads the table: the probe (point value + CI), :mod:`harness.paired`, result validation (a score
outside its metric's range is refused), :class:`harness.tasks.TaskSpec.higher_is_better`, and the
conformance check :func:`harness.testing.check_task`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from harness.errors import DataError

MetricFunction = Callable[[np.ndarray, np.ndarray], float]

REGRESSION = "regression"
CLASSIFICATION = "classification"


@dataclass(frozen=True)
class Metric:
    """A score: how to compute it, the values it can take, and which way is better."""

    name: str
    #: fast ``(y_true, y_pred) -> float``; NaN when undefined on this sample (e.g. one class)
    function: MetricFunction
    #: the slow reference implementation whose value is reported as the point estimate
    reference: MetricFunction
    low: float
    high: float
    higher_is_better: bool
    #: task kinds this metric applies to
    kinds: tuple[str, ...]
    description: str = ""

    @property
    def range(self) -> tuple[float, float]:
        return self.low, self.high

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return self.function(y_true, y_pred)

    def contains(self, value: float) -> bool:
        """Is ``value`` a possible score of this metric (NaN never is)?"""
        return not math.isnan(value) and self.low <= value <= self.high

    def shown_range(self) -> str:
        def end(x: float) -> str:
            return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"

        return f"{'(' if self.low == -math.inf else '['}{end(self.low)}, {end(self.high)}" \
               f"{')' if self.high == math.inf else ']'}"


def _auroc_fast(y: np.ndarray, score: np.ndarray) -> float:
    """Mann-Whitney AUROC with tie handling; the bootstrap calls this thousands of times.

    Average ranks from one stable sort (what ``scipy.stats.rankdata`` computes, without its per-call
    overhead, which dominated leaderboard regeneration). Ranks are half-integers, so their sum is exact
    in float64 whatever the summation order: the value equals the rankdata one bit for bit.
    """
    pos = y == 1
    n_pos = int(pos.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    new_value = np.empty(len(ordered), dtype=bool)
    new_value[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new_value[1:])
    starts = np.flatnonzero(new_value)
    ends = np.append(starts[1:], len(ordered))
    ranks = ((starts + ends + 1) / 2)[np.cumsum(new_value) - 1]  # 1-based average rank of each tie group
    return float((ranks[pos[order]].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _mae_fast(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.abs(y - pred).mean())


def _r2_fast(y: np.ndarray, pred: np.ndarray) -> float:
    denom = ((y - y.mean()) ** 2).sum()
    return float(1 - ((y - pred) ** 2).sum() / denom) if denom > 0 else float("nan")


def _auroc_reference(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, pred))


def _mae_reference(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import mean_absolute_error

    return float(mean_absolute_error(y, pred))


def _r2_reference(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(y, pred))


METRICS: Mapping[str, Metric] = MappingProxyType({
    "mae": Metric("mae", _mae_fast, _mae_reference, 0.0, math.inf, False, (REGRESSION,),
                  "mean absolute error, in the label's unit"),
    "r2": Metric("r2", _r2_fast, _r2_reference, -math.inf, 1.0, True, (REGRESSION,),
                 "coefficient of determination"),
    "auroc": Metric("auroc", _auroc_fast, _auroc_reference, 0.0, 1.0, True, (CLASSIFICATION,),
                    "area under the ROC curve"),
})


def get_metric(name: str) -> Metric:
    """The table entry for ``name``; an unknown name is a :class:`DataError`."""
    try:
        return METRICS[name]
    except KeyError:
        raise DataError(f"unknown metric '{name}'", f"use {', '.join(METRICS)}") from None


def metric_on(name: str, y: np.ndarray, pred: np.ndarray) -> float:
    """The fast ``name`` metric on one (resampled) set of predictions."""
    return get_metric(name).function(y, pred)
