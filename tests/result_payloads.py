"""Result payloads for tests that are consistent with their own predictions, as a real run's are.

The leaderboard re-derives every stored score from the result's out-of-fold predictions
(:mod:`harness.rederive`), so a test that writes a result, or edits one's protocol to stand for a run
under other settings, scores it the way the probe would: :func:`rescore`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.scoring import score_predictions

PROBE = {"folds": 5, "inner_folds": 3, "bootstrap": 200, "seed": 0, "confidence": 0.95}


def rescore(payload: dict[str, Any]) -> dict[str, Any]:
    """Recompute ``payload``'s scores and counts from its predictions under its recorded probe settings."""
    probe = payload["config"].setdefault("probe", dict(PROBE))
    task = payload["task"]
    metrics = [task["metric"], *task.get("extra_metrics", [])]
    y = np.asarray(payload["predictions"]["y_true"], dtype=float)
    pred = np.asarray(payload["predictions"]["y_pred"], dtype=float)
    payload["scores"] = score_predictions(metrics, y, pred, bootstrap=probe["bootstrap"], seed=probe["seed"],
                                          confidence=probe["confidence"])
    payload["counts"]["participants"] = len(y)
    if task.get("kind") == "classification":
        payload["counts"]["positives"] = int((y == 1).sum())
    return payload


def result_payload(encoder: str, task: str, y_true: Any, y_pred: Any, *, metric: str = "mae",
                   dataset: str = "d", modality: str = "ppg", training_overlap: bool = False,
                   probe: dict[str, Any] | None = None) -> dict[str, Any]:
    """A schema-1 result of ``encoder`` on ``task`` whose scores are those of the given predictions."""
    kind = "classification" if metric == "auroc" else "regression"
    payload = {"schema_version": 1, "encoder": {"name": encoder, "revision": "r"},
               "task": {"name": task, "metric": metric, "kind": kind, "version": 1},
               "dataset": {"name": dataset, "modality": modality, "revision": "rev"},
               "scores": {}, "config": {"probe": dict(probe or PROBE)}, "counts": {"participants": 1},
               "environment": {}, "timings": {}, "training_overlap": training_overlap,
               "predictions": {"participant_id": [f"p{i}" for i in range(len(y_true))],
                               "y_true": [float(v) for v in y_true], "y_pred": [float(v) for v in y_pred]}}
    return rescore(payload)


def cell(payload: dict[str, Any]) -> str:
    """The leaderboard's text for the main score of ``payload``."""
    s = payload["scores"][payload["task"]["metric"]]
    return f"{s['value']:.3f} [{s['ci_low']:.3f}, {s['ci_high']:.3f}]"
