"""Paired comparison of two encoders on one task: the difference and its participant-bootstrap CI.

Two results' confidence intervals can overlap while one encoder is better on almost every resample,
because both were scored on the same participants. Resampling participants once and scoring both
encoders on the same draw gives the CI of the *difference*, which is the question an ablation asks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.errors import DataError
from harness.probe import metric_on


def _aligned(a: dict[str, Any], b: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y_true`` and both encoders' predictions, in one participant order."""
    pa, pb = a.get("predictions") or {}, b.get("predictions") or {}
    if not pa.get("participant_id") or not pb.get("participant_id"):
        raise DataError("a result has no out-of-fold predictions to compare",
                        "re-run it with a harness version that records predictions")
    ids_a, ids_b = np.asarray(pa["participant_id"]), np.asarray(pb["participant_id"])
    if set(ids_a.tolist()) != set(ids_b.tolist()):
        raise DataError(f"'{a['encoder']['name']}' and '{b['encoder']['name']}' were scored on different "
                        "participants", "compare results of the same dataset revision and task")
    order_b = {pid: i for i, pid in enumerate(ids_b.tolist())}
    take = np.array([order_b[pid] for pid in ids_a.tolist()])
    y = np.asarray(pa["y_true"], dtype=float)
    if not np.allclose(y, np.asarray(pb["y_true"], dtype=float)[take], equal_nan=True):
        raise DataError("the two results disagree on the true labels", "compare results of the same task version")
    return y, np.asarray(pa["y_pred"], dtype=float), np.asarray(pb["y_pred"], dtype=float)[take]


def paired_difference(a: dict[str, Any], b: dict[str, Any], *, n: int = 1000, seed: int = 0,
                      confidence: float = 0.95) -> dict[str, Any]:
    """Score of ``a`` minus score of ``b`` on the task's main metric, with a paired bootstrap CI.

    ``verdict`` is the encoder whose score is better on the CI's whole range, or ``"tie"`` when the
    CI of the difference contains zero.
    """
    for key in ("dataset", "task"):
        if a[key]["name"] != b[key]["name"]:
            raise DataError(f"cannot pair results of different {key}s ({a[key]['name']} vs {b[key]['name']})",
                            f"pick two results of one {key}")
    if a["dataset"].get("revision") != b["dataset"].get("revision"):
        raise DataError(f"results come from different revisions of {a['dataset']['name']}",
                        "re-run both on the same dataset revision")
    metric, higher = a["task"]["metric"], bool(a["task"]["higher_is_better"])
    y, pred_a, pred_b = _aligned(a, b)
    rng = np.random.default_rng(seed)
    diffs = np.empty(n)
    for i in range(n):
        idx = rng.integers(0, len(y), len(y))
        diffs[i] = metric_on(metric, y[idx], pred_a[idx]) - metric_on(metric, y[idx], pred_b[idx])
    diffs = diffs[np.isfinite(diffs)]
    alpha = (1 - confidence) / 2
    low, high = (float(q) for q in np.quantile(diffs, [alpha, 1 - alpha]))
    score_a, score_b = metric_on(metric, y, pred_a), metric_on(metric, y, pred_b)
    name_a, name_b = a["encoder"]["name"], b["encoder"]["name"]
    a_better = low > 0 if higher else high < 0
    b_better = high < 0 if higher else low > 0
    return {
        "dataset": a["dataset"]["name"], "task": a["task"]["name"], "metric": metric,
        "higher_is_better": higher, "a": name_a, "b": name_b,
        "score_a": score_a, "score_b": score_b, "difference": score_a - score_b,
        "ci_low": low, "ci_high": high, "confidence": confidence, "bootstrap": n, "seed": seed,
        "participants": len(y),
        "verdict": name_a if a_better else name_b if b_better else "tie",
    }
