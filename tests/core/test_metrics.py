"""The metrics table and the one participant bootstrap: ranges, directions, and the numbers of old."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from harness.bootstrap import bootstrap_ci, paired_bootstrap_ci
from harness.errors import DataError
from harness.metrics import METRICS, get_metric, metric_on
from harness.tasks import TaskSpec

COMMITTED = sorted((Path(__file__).parents[2] / "leaderboard" / "results").rglob("*.json"))


def test_table_holds_ranges_directions_and_kinds():
    assert set(METRICS) == {"mae", "r2", "auroc"}
    assert METRICS["auroc"].range == (0.0, 1.0) and METRICS["auroc"].higher_is_better
    assert METRICS["mae"].range == (0.0, math.inf) and not METRICS["mae"].higher_is_better
    assert METRICS["r2"].range == (-math.inf, 1.0) and METRICS["r2"].higher_is_better
    assert METRICS["auroc"].kinds == ("classification",) and METRICS["mae"].kinds == ("regression",)
    assert METRICS["mae"].contains(0.0) and not METRICS["mae"].contains(-1e-9)
    assert not METRICS["auroc"].contains(1.01) and not METRICS["auroc"].contains(float("nan"))
    assert METRICS["r2"].contains(-1e6) and not METRICS["r2"].contains(1.5)
    assert METRICS["mae"].shown_range() == "[0, inf)" and METRICS["r2"].shown_range() == "(-inf, 1]"
    with pytest.raises(DataError, match="unknown metric 'rmse'"):
        get_metric("rmse")


def test_task_direction_comes_from_its_metric():
    age = TaskSpec(name="age", version=1, label="age", kind="regression", metric="mae")
    sex = TaskSpec(name="sex", version=1, label="sex", kind="classification", metric="auroc")
    assert age.higher_is_better is False and sex.higher_is_better is True
    assert age.to_dict()["higher_is_better"] is False  # result files keep recording it


@pytest.mark.parametrize("seed", range(5))
def test_fast_and_reference_implementations_agree(seed):
    rng = np.random.default_rng(seed)
    y = rng.uniform(20, 80, 300)
    pred = y + rng.normal(0, 8, 300)
    labels = (y > 50).astype(float)
    score = labels + rng.normal(0, 1, 300)
    score[:20] = score[20:40]  # ties
    for name, (truth, p) in {"mae": (y, pred), "r2": (y, pred), "auroc": (labels, score)}.items():
        metric = METRICS[name]
        assert metric.function(truth, p) == pytest.approx(metric.reference(truth, p), abs=1e-12), name


def _old_bootstrap_ci(metric, y, pred, *, n, seed, confidence):
    """The loop ``harness.probe.bootstrap_ci`` ran before the helper existed, verbatim."""
    rng = np.random.default_rng(seed)
    values = np.empty(n)
    size = len(y)
    for i in range(n):
        idx = rng.integers(0, size, size)
        values[i] = metric_on(metric, y[idx], pred[idx])
    values = values[np.isfinite(values)]
    alpha = (1 - confidence) / 2
    return float(np.quantile(values, alpha)), float(np.quantile(values, 1 - alpha))


def _old_paired(metric, y, pred_a, pred_b, *, n, seed, confidence):
    """The loop ``harness.paired.paired_difference`` ran before the helper existed, verbatim."""
    rng = np.random.default_rng(seed)
    diffs = np.empty(n)
    for i in range(n):
        idx = rng.integers(0, len(y), len(y))
        diffs[i] = metric_on(metric, y[idx], pred_a[idx]) - metric_on(metric, y[idx], pred_b[idx])
    diffs = diffs[np.isfinite(diffs)]
    alpha = (1 - confidence) / 2
    return tuple(float(q) for q in np.quantile(diffs, [alpha, 1 - alpha]))


@pytest.mark.parametrize("metric", ["mae", "r2", "auroc"])
def test_one_bootstrap_helper_gives_the_cis_of_both_old_loops(metric):
    rng = np.random.default_rng(7)
    y = rng.uniform(20, 80, 120)
    if metric == "auroc":
        y = (y > 50).astype(float)
        y[:3] = 1.0
    pred_a, pred_b = y + rng.normal(0, 1, 120), y + rng.normal(0, 1.5, 120)
    for seed in (0, 1000, 1234):
        assert bootstrap_ci(metric, y, pred_a, n=300, seed=seed, confidence=0.95) == \
            _old_bootstrap_ci(metric, y, pred_a, n=300, seed=seed, confidence=0.95)
        assert paired_bootstrap_ci(metric, y, pred_a, pred_b, n=300, seed=seed, confidence=0.9) == \
            _old_paired(metric, y, pred_a, pred_b, n=300, seed=seed, confidence=0.9)


@pytest.mark.parametrize("path", COMMITTED[::12], ids=lambda p: "/".join(p.parts[-3:]))
def test_committed_results_rescore_bit_for_bit(path):
    """Point value (reference implementation) and CI (bootstrap, seed + 1000 + i) of a committed
    result come out exactly as stored, from its stored out-of-fold predictions."""
    stored = json.loads(path.read_text())
    y = np.asarray(stored["predictions"]["y_true"], dtype=float)
    pred = np.asarray(stored["predictions"]["y_pred"], dtype=float)
    probe = stored["config"]["probe"]
    for i, name in enumerate([stored["task"]["metric"], *stored["task"]["extra_metrics"]]):
        metric = get_metric(name)
        low, high = bootstrap_ci(metric, y, pred, n=probe["bootstrap"], seed=probe["seed"] + 1000 + i,
                                 confidence=probe["confidence"])
        assert {"value": metric.reference(y, pred), "ci_low": low, "ci_high": high} == stored["scores"][name]


def test_fast_auroc_equals_rankdata_bit_for_bit_with_ties():
    """The bootstrap's AUROC (one stable sort) is the Mann-Whitney value from scipy's average ranks,
    exactly, so committed CIs re-score identically."""
    from scipy.stats import rankdata

    from harness.metrics import _auroc_fast

    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(4, 200))
        y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
        score = rng.integers(0, 6, n).astype(float) if trial % 2 else rng.standard_normal(n)
        pos = y == 1
        ranks = rankdata(score)
        expected = (ranks[pos].sum() - pos.sum() * (pos.sum() + 1) / 2) / (pos.sum() * (~pos).sum())
        assert _auroc_fast(y, score) == expected
