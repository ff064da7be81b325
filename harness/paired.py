"""Paired comparison of two encoders on one task: the difference and its participant-bootstrap CI.

Two results' confidence intervals can overlap while one encoder is better on almost every resample,
because both were scored on the same participants. Resampling participants once and scoring both
encoders on the same draw gives the CI of the *difference*, which is the question an ablation asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from harness.bootstrap import paired_bootstrap_ci
from harness.errors import DataError
from harness.metrics import get_metric
from harness.results import Result, as_result


def _aligned(a: Result, b: Result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y_true`` and both encoders' predictions, in one participant order."""
    if a.predictions is None or b.predictions is None or not a.predictions.participant_id \
            or not b.predictions.participant_id:
        raise DataError("a result has no out-of-fold predictions to compare",
                        "re-run it with a harness version that records predictions")
    ids_a, y, pred_a = a.predictions.arrays()
    ids_b, y_b, pred_b = b.predictions.arrays()
    if set(ids_a.tolist()) != set(ids_b.tolist()):
        raise DataError(f"'{a.encoder.name}' and '{b.encoder.name}' were scored on different "
                        "participants", "compare results of the same dataset revision and task")
    order_b = {pid: i for i, pid in enumerate(ids_b.tolist())}
    take = np.array([order_b[pid] for pid in ids_a.tolist()])
    if not np.allclose(y, y_b[take], equal_nan=True):
        raise DataError("the two results disagree on the true labels", "compare results of the same task version")
    return y, pred_a, pred_b[take]


def paired_difference(a: Result | Mapping[str, Any], b: Result | Mapping[str, Any], *, n: int = 1000,
                      seed: int = 0, confidence: float = 0.95) -> dict[str, Any]:
    """Score of ``a`` minus score of ``b`` on the task's main metric, with a paired bootstrap CI.

    ``verdict`` is the encoder whose score is better on the CI's whole range, or ``"tie"`` when the
    CI of the difference contains zero. Only results of one dataset revision, task, protocol and set
    of participants are paired. Payload dicts are accepted as well as :class:`Result`.
    """
    a, b = as_result(a), as_result(b)
    for key, name_a, name_b in (("dataset", a.dataset.name, b.dataset.name), ("task", a.task.name, b.task.name)):
        if name_a != name_b:
            raise DataError(f"cannot pair results of different {key}s ({name_a} vs {name_b})",
                            f"pick two results of one {key}")
    if a.dataset.revision != b.dataset.revision:
        raise DataError(f"results come from different revisions of {a.dataset.name}",
                        "re-run both on the same dataset revision")
    protocol_gap = a.protocol.differences(b.protocol)
    if protocol_gap:
        raise DataError(f"'{a.encoder.name}' and '{b.encoder.name}' on {a.dataset.name} · {a.task.name} were "
                        f"scored under different protocols ({'; '.join(protocol_gap)})",
                        "re-run both with the same --seed, --folds and --bootstrap")
    metric, higher = get_metric(a.task.metric), a.task.higher_is_better
    y, pred_a, pred_b = _aligned(a, b)
    participants = len(y)
    if a.counts.extra.get("unit") == "segment":  # window-level task: resample participants, not windows
        from harness.segment_probe import paired_cluster_ci, prediction_participants

        groups = prediction_participants(a.predictions.participant_id if a.predictions else ())
        participants = len(set(groups.tolist()))
        low, high = paired_cluster_ci(metric.name, y, pred_a, pred_b, groups, n=n, seed=seed, confidence=confidence)
    else:
        low, high = paired_bootstrap_ci(metric, y, pred_a, pred_b, n=n, seed=seed, confidence=confidence)
    score_a, score_b = metric(y, pred_a), metric(y, pred_b)
    name_a, name_b = a.encoder.name, b.encoder.name
    a_better = low > 0 if higher else high < 0
    b_better = high < 0 if higher else low > 0
    return {
        "dataset": a.dataset.name, "task": a.task.name, "metric": metric.name,
        "higher_is_better": higher, "a": name_a, "b": name_b,
        "score_a": score_a, "score_b": score_b, "difference": score_a - score_b,
        "ci_low": low, "ci_high": high, "confidence": confidence, "bootstrap": n, "seed": seed,
        "participants": participants,
        "verdict": name_a if a_better else name_b if b_better else "tie",
    }
