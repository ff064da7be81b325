"""Across-dataset ranks: per-cell ranks, the Friedman test and Nemenyi's critical difference, checked
against hand computation and the published table (Demšar 2006, Table 5)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import friedmanchisquare

from harness.ranking import cell_ranks, critical_difference, suite_rankings, summarise_group
from harness.results import Result, load_result

TEMPLATE = Path(__file__).resolve().parents[2] / "leaderboard" / "results" / "ppg-bp" / "prior" / "age.json"


def _result(encoder: str, dataset: str, task: str, value: float, *, auroc: bool = False) -> Result:
    base = load_result(TEMPLATE).to_dict()
    metric = "auroc" if auroc else "mae"
    base["encoder"] = {**base["encoder"], "name": encoder}
    base["dataset"] = {**base["dataset"], "name": dataset}
    base["task"] = {**base["task"], "name": task, "metric": metric, "higher_is_better": auroc,
                    "kind": "classification" if auroc else "regression", "extra_metrics": []}
    base["scores"] = {metric: {"value": value, "ci_low": value, "ci_high": value}}
    base.pop("predictions", None)
    return Result.from_dict(base)


def test_ranks_follow_the_metric_direction_and_ties_share_the_mean_rank():
    scores = np.array([[3.0, 1.0, 2.0], [0.9, 0.7, 0.7]])
    ranks = cell_ranks(scores, [False, True])  # MAE: lower is better; AUROC: higher is better
    np.testing.assert_array_equal(ranks, [[3, 1, 2], [1, 2.5, 2.5]])


@pytest.mark.parametrize(("k", "q"), [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (6, 2.850), (10, 3.164)])
def test_critical_difference_matches_the_nemenyi_table(k, q):
    n = 14
    assert critical_difference(k, n) == pytest.approx(q * math.sqrt(k * (k + 1) / (6 * n)), abs=2e-3)


def test_a_consistent_winner_is_distinguishable_and_friedman_is_scipys():
    rng = np.random.default_rng(0)
    results = []
    for cell in range(12):
        noise = rng.normal(0, 0.1, 3)
        for name, base in (("best", 1.0), ("middle", 2.0), ("worst", 3.0)):
            results.append(_result(name, f"d{cell % 3}", f"t{cell}", base + noise[0] * 0.01 + 0.001 * cell))
    summary = summarise_group("s", "ppg", results)
    assert summary is not None and summary.encoders == ("best", "middle", "worst")
    assert summary.mean_rank == (1.0, 2.0, 3.0)
    expected = friedmanchisquare(*np.tile([1.0, 2.0, 3.0], (12, 1)).T).statistic
    assert summary.friedman_statistic == pytest.approx(expected)
    assert summary.friedman_p < 1e-4
    assert ("best", "worst") in summary.distinguishable
    assert summary.ci_low[0] == summary.ci_high[0] == 1.0


def test_identical_encoders_are_not_distinguishable():
    results = [_result(name, "d", f"t{cell}", 1.0) for cell in range(6) for name in ("a", "b", "c")]
    summary = summarise_group("s", "ppg", results)
    assert summary is not None and summary.friedman_p == 1.0 and summary.distinguishable == ()
    assert summary.mean_rank == (2.0, 2.0, 2.0)


def test_an_encoder_missing_a_cell_is_left_out_not_ranked_on_a_subset():
    results = [_result(name, "d", f"t{cell}", float(i)) for cell in range(4) for i, name in enumerate("abc")]
    results.append(_result("partial", "d", "t0", -1.0))  # best where it was scored, absent elsewhere
    summary = summarise_group("s", "ppg", results)
    assert summary is not None and "partial" not in summary.encoders and summary.left_out == ("partial",)


def test_suites_rank_their_own_datasets_per_modality():
    results = [_result(name, ds, "t", float(i)) for ds in ("x", "y", "z") for i, name in enumerate("abc")]
    summaries = suite_rankings(results, {"one": ["x", "y"], "two": ["z"], "empty": ["nothing"]})
    assert [(s.suite, len(s.cells)) for s in summaries] == [("one", 2), ("two", 1)]
    assert summaries[1].friedman_p is None  # one cell: no test, but the ranks are still shown
