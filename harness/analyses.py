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


def _differences(stored: Any, derived: Any, where: str, tolerance: float) -> list[str]:
    """Paths at which ``stored`` and ``derived`` differ (numbers to ``tolerance``)."""
    if isinstance(derived, dict):
        if not isinstance(stored, dict):
            return [where]
        keys = sorted(set(stored) | set(derived), key=str)
        return [d for k in keys for d in _differences(stored.get(k), derived.get(k), f"{where}.{k}", tolerance)]
    if isinstance(derived, list):
        if not isinstance(stored, list) or len(stored) != len(derived):
            return [where]
        return [d for i, (s, v) in enumerate(zip(stored, derived))
                for d in _differences(s, v, f"{where}[{i}]", tolerance)]
    if isinstance(derived, float) and not isinstance(stored, bool) and isinstance(stored, int | float):
        return [] if abs(float(stored) - derived) <= tolerance else [where]
    return [] if stored == derived else [where]


def analysis_problems(result: Any, tolerance: float = 1e-9) -> list[str]:
    """What of a result's ``subgroups`` / ``age_gap`` its predictions and stored membership do not give
    (empty when both re-derive, or when the result has neither: files older than these analyses)."""
    problems: list[str] = []
    n = len(result.predictions.y_true) if result.predictions is not None else 0
    if "subgroups" in result.extra:
        try:
            groupings = result.extra["subgroups"]["groupings"]
            short = [k for k, g in groupings.items() if len(g["membership"]) != n]
            if short:
                problems.append(f"stores subgroup membership for '{short[0]}' that does not list one group per "
                                f"prediction ({n})")
                return problems
            derived = subgroups.result_subgroups(result)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return [f"holds a malformed 'subgroups' entry ({type(exc).__name__}: {exc})"]
        diff = _differences(result.extra["subgroups"], derived, "subgroups", tolerance)
        if diff:
            problems.append(f"stores {diff[0]}, which its predictions and membership do not give"
                            + (f" (and {len(diff) - 1} more)" if len(diff) > 1 else ""))
    if "age_gap" in result.extra:
        try:
            stored = result.extra["age_gap"]
            _, y_true, y_pred = result.predictions.arrays()
            if len(stored["gap_corrected"]) != n:
                return [*problems, f"stores {len(stored['gap_corrected'])} age gaps for {n} predictions"]
            derived_gap = {"raw_gap_age_slope": age_gap.fit_line(y_true, y_pred - y_true)[1],
                           "corrected_gap_age_slope": age_gap.fit_line(
                               y_true, np.asarray(stored["gap_corrected"], dtype=float))[1],
                           "associations": age_gap.associations(stored, y_true, float(stored.get("confidence", 0.95)))}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return [*problems, f"holds a malformed 'age_gap' entry ({type(exc).__name__}: {exc})"]
        diff = _differences({k: stored.get(k) for k in derived_gap}, derived_gap, "age_gap", tolerance)
        if diff:
            problems.append(f"stores {diff[0]}, which its predictions and stored gaps do not give"
                            + (f" (and {len(diff) - 1} more)" if len(diff) > 1 else ""))
    if "label_efficiency" in result.extra:
        from harness.label_efficiency import curve_problems

        problems += curve_problems(result.extra["label_efficiency"], result.main_score.value)
    return problems
