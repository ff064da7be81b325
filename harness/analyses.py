"""The analyses a result carries beyond its scores, computed once by ``harness run`` (the runner's one call).

Every classification and regression result gets ``"subgroups"`` (:mod:`harness.subgroups`); a task whose
spec lists ``"age-gap"`` in ``analyses`` also gets ``"age_gap"`` (:mod:`harness.age_gap`). Both are new
optional top-level keys of the result file: results written before them load and render unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness import age_gap, subgroups
from harness.probe import RIDGE_ALPHAS, ProbeConfig, ProbeOutcome, uninformative
from harness.tasks import TaskSpec

#: analyses a task spec may list in ``analyses``
KNOWN = (age_gap.ANALYSIS,)


def result_extras(task: TaskSpec, participants: Any, ids: np.ndarray, features: np.ndarray,
                  outcome: ProbeOutcome, config: ProbeConfig) -> dict[str, Any]:
    """``{"subgroups": ..., "age_gap": ...}`` for one probed task (``ids``/``features`` of its participants)."""
    extras: dict[str, Any] = {"subgroups": subgroups.compute(
        participants, [str(i) for i in ids], outcome.y_true, outcome.y_pred, metric=task.metric, kind=task.kind,
        bootstrap=config.bootstrap, seed=config.seed, confidence=config.confidence, task_labels=(task.label,))}
    if age_gap.ANALYSIS in task.analyses and task.kind == "regression":
        extras["age_gap"] = age_gap.compute(
            features, outcome.y_true, outcome.y_pred, participants, [str(i) for i in ids], folds=config.folds,
            seed=config.seed, alphas=RIDGE_ALPHAS, informative=not uninformative(np.asarray(features, float)),
            task_label=task.label, confidence=config.confidence)
    return extras
