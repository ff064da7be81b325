"""Subgroup scores: a result's main metric within each demographic group, with participant-bootstrap CIs,
the worst group and the largest gap between groups (issue 13.2).

Groupings are data (:data:`GROUPINGS`): sex (the store's convention, 1 = female), age bands <40 / 40-59 /
>=60 years and BMI bands <25 / 25-30 / >=30 kg/m^2 (the WHO normal / overweight / obese cut-offs; the age
cut-offs split adult cohorts into young / middle / older thirds of the usual 18-90 range). A grouping is used
when the dataset's participant table has its label. Each participant's group is stored next to the
predictions (``membership``, aligned with ``predictions.participant_id``), so every number here can be
re-derived from the result file alone with :func:`subgroup_scores`.

A grouping defined by the task's own label (age bands of the age task, BMI bands of ``bmi-over-30``) is
scored and marked ``defined_by_task_label``: within a band the target's range is cut, so its scores describe
the band, not a fairness gap; such groupings are left out of the result's worst-group summary.

A group whose metric is undefined or unstable is reported with ``status`` (``too_small`` under
:data:`MIN_PARTICIPANTS`, ``single_class`` when a classification group lacks :data:`MIN_PER_CLASS` of
either class) and no value: never a NaN that reads as a score.

Bootstrap: group ``g`` (in sorted order) resamples its own participants ``n`` times, seeded
``seed + SEED_OFFSET + 100 * grouping index + g``; the gap's CI resamples both groups of the gap within
their own groups (stratified) with the gap's own seed, so the gap CI is that of the fixed pair the point
estimate names (best minus worst, signed so that positive = the worst group is worse).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.bootstrap import bootstrap_values, percentile_ci
from harness.metrics import get_metric

SEED_OFFSET = 5000
MIN_PARTICIPANTS = 10
MIN_PER_CLASS = 3
MISSING = None  # membership of a participant whose label is missing


@dataclass(frozen=True)
class Grouping:
    """How one participant label splits participants: ``edges`` cut a numeric label into bands
    (``[edges[i-1], edges[i])``), or ``values`` name the codes of a categorical one."""

    name: str
    label: str
    edges: tuple[float, ...] = ()
    bands: tuple[str, ...] = ()
    values: tuple[tuple[float, str], ...] = ()

    def group_of(self, value: float) -> str | None:
        if value is None or not math.isfinite(value):
            return MISSING
        if self.values:
            for code, name in self.values:
                if value == code:
                    return name
            return MISSING
        return self.bands[int(np.searchsorted(np.asarray(self.edges), value, side="right"))]


GROUPINGS: tuple[Grouping, ...] = (
    Grouping("sex", "sex", values=((0.0, "male"), (1.0, "female"))),
    Grouping("age band", "age", edges=(40.0, 60.0), bands=("<40", "40-59", ">=60")),
    Grouping("BMI band", "bmi", edges=(25.0, 30.0), bands=("<25", "25-30", ">=30")),
)


def membership(participants: Any, ids: Sequence[str]) -> dict[str, list[str | None]]:
    """``{grouping name: group of each participant in ids}`` for the groupings the table's labels allow
    (``participants``: the store's participant table, a DataFrame indexed by participant id)."""
    out: dict[str, list[str | None]] = {}
    for grouping in GROUPINGS:
        if grouping.label not in participants.columns:
            continue
        values = participants[grouping.label].reindex([str(i) for i in ids]).to_numpy(dtype=float)
        groups = [grouping.group_of(float(v)) for v in values]
        if any(g is not None for g in groups):
            out[grouping.name] = groups
    return out


def _problem(kind: str, y: np.ndarray) -> str | None:
    if len(y) < MIN_PARTICIPANTS:
        return "too_small"
    if kind == "classification" and min(int((y == 1).sum()), int((y == 0).sum())) < MIN_PER_CLASS:
        return "single_class"
    return None


def _group_score(metric_name: str, kind: str, y: np.ndarray, pred: np.ndarray, *, bootstrap: int, seed: int,
                 confidence: float) -> dict[str, Any]:
    metric = get_metric(metric_name)
    entry: dict[str, Any] = {"n": len(y)}
    if kind == "classification":
        entry["positives"] = int((y == 1).sum())
    problem = _problem(kind, y)
    if problem:
        return {**entry, "status": problem}
    values = bootstrap_values(lambda idx: metric.function(y[idx], pred[idx]), len(y), n=bootstrap, seed=seed)
    low, high = percentile_ci(values, confidence)
    return {**entry, "status": "ok", "value": metric.reference(y, pred), "ci_low": low, "ci_high": high}


def _gap_ci(metric_name: str, pairs: tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
            *, bootstrap: int, seed: int, confidence: float, sign: float) -> tuple[float, float]:
    fn = get_metric(metric_name).function
    (y_a, p_a), (y_b, p_b) = pairs
    rng = np.random.default_rng(seed)
    draws = np.empty(bootstrap)
    for i in range(bootstrap):
        ia = rng.integers(0, len(y_a), len(y_a))
        ib = rng.integers(0, len(y_b), len(y_b))
        draws[i] = sign * (fn(y_a[ia], p_a[ia]) - fn(y_b[ib], p_b[ib]))
    return percentile_ci(draws, confidence)


def grouping_scores(y_true: np.ndarray, y_pred: np.ndarray, groups: Sequence[str | None], *, metric: str,
                    kind: str, bootstrap: int, seed: int, confidence: float = 0.95) -> dict[str, Any]:
    """Scores of one grouping: ``{"groups": {name: {...}}, "worst": name | None, "gap": {...} | None}``.

    ``gap.value`` is best minus worst for a higher-is-better metric and worst minus best otherwise, so it
    is never negative; its CI comes from resampling each of the two groups within itself.
    """
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    member = np.asarray([g if g is not None else "" for g in groups], dtype=object)
    if len(member) != len(y):
        raise ValueError(f"{len(member)} memberships for {len(y)} predictions")
    names = sorted({g for g in groups if g is not None})
    scores = {name: _group_score(metric, kind, y[member == name], p[member == name], bootstrap=bootstrap,
                                 seed=seed + i, confidence=confidence) for i, name in enumerate(names)}
    missing = int((member == "").sum())
    scored = [n for n in names if scores[n]["status"] == "ok"]
    out: dict[str, Any] = {"groups": scores, "missing": missing, "worst": None, "gap": None}
    if not scored:
        return out
    higher = get_metric(metric).higher_is_better
    ranked = sorted(scored, key=lambda n: (scores[n]["value"], n), reverse=not higher)
    worst, best = ranked[0], ranked[-1]
    out["worst"] = worst
    if len(scored) >= 2:
        sign = 1.0 if higher else -1.0
        masks = (member == best, member == worst)
        low, high = _gap_ci(metric, ((y[masks[0]], p[masks[0]]), (y[masks[1]], p[masks[1]])), bootstrap=bootstrap,
                            seed=seed + 99, confidence=confidence, sign=sign)
        out["gap"] = {"best": best, "worst": worst,
                      "value": sign * (scores[best]["value"] - scores[worst]["value"]), "ci_low": low, "ci_high": high}
    return out


def subgroup_scores(y_true: np.ndarray, y_pred: np.ndarray, memberships: Mapping[str, Sequence[str | None]], *,
                    metric: str, kind: str, bootstrap: int, seed: int, confidence: float = 0.95,
                    task_labels: Sequence[str] = ()) -> dict[str, Any]:
    """The pure function from (predictions, membership, metric, bootstrap n, seed) to every subgroup score.

    ``memberships`` maps a grouping name to each participant's group (aligned with the predictions);
    ``task_labels`` are the labels the task is defined by (their groupings are marked, and left out of
    the overall ``worst``). The returned dict is what results store under ``"subgroups"`` (plus membership).
    """
    label_of = {g.name: g.label for g in GROUPINGS}
    groupings: dict[str, Any] = {}
    for i, name in enumerate(sorted(memberships)):
        scored = grouping_scores(y_true, y_pred, memberships[name], metric=metric, kind=kind, bootstrap=bootstrap,
                                 seed=seed + SEED_OFFSET + 100 * i, confidence=confidence)
        groupings[name] = {"label": label_of.get(name, name),
                           "defined_by_task_label": label_of.get(name, name) in task_labels, **scored}
    higher = get_metric(metric).higher_is_better
    candidates = [(name, g["worst"], g["groups"][g["worst"]]["value"]) for name, g in groupings.items()
                  if g["worst"] is not None and not g["defined_by_task_label"]]
    worst = None
    if candidates:
        name, group, value = sorted(candidates, key=lambda c: (c[2], c[0]), reverse=not higher)[0]
        worst = {"grouping": name, "group": group, "value": value}
    gaps = [(name, g["gap"]) for name, g in groupings.items() if g["gap"] and not g["defined_by_task_label"]]
    largest = None
    if gaps:
        name, gap = sorted(gaps, key=lambda c: (-c[1]["value"], c[0]))[0]
        largest = {"grouping": name, **gap}
    return {"metric": metric, "bootstrap": bootstrap, "seed": seed, "confidence": confidence,
            "min_participants": MIN_PARTICIPANTS, "min_per_class": MIN_PER_CLASS,
            "groupings": groupings, "worst_group": worst, "largest_gap": largest}


def result_subgroups(result: Any) -> dict[str, Any] | None:
    """Re-derive a result's stored ``"subgroups"`` from its predictions and stored membership
    (``None`` for a result without them, e.g. one written before this analysis existed)."""
    stored = result.extra.get("subgroups") if hasattr(result, "extra") else None
    if not isinstance(stored, Mapping) or result.predictions is None:
        return None
    _, y_true, y_pred = result.predictions.arrays()
    memberships = {name: g["membership"] for name, g in stored.get("groupings", {}).items()}
    task_labels = tuple(stored.get("task_labels", ()))
    derived = subgroup_scores(y_true, y_pred, memberships, metric=str(stored["metric"]), kind=str(result.task.kind),
                              bootstrap=int(stored["bootstrap"]), seed=int(stored["seed"]),
                              confidence=float(stored["confidence"]), task_labels=task_labels)
    return with_membership(derived, memberships, task_labels)


def with_membership(scores: dict[str, Any], memberships: Mapping[str, Sequence[str | None]],
                    task_labels: Sequence[str]) -> dict[str, Any]:
    """What a result stores: the scores plus each grouping's membership (for re-derivation)."""
    groupings = {name: {**g, "membership": list(memberships[name])} for name, g in scores["groupings"].items()}
    return {**scores, "task_labels": list(task_labels), "groupings": groupings}


def compute(participants: Any, ids: Sequence[str], y_true: np.ndarray, y_pred: np.ndarray, *, metric: str,
            kind: str, bootstrap: int, seed: int, confidence: float, task_labels: Sequence[str]) -> dict[str, Any]:
    """The ``"subgroups"`` entry of a new result (the runner's one call)."""
    memberships = membership(participants, ids)
    scores = subgroup_scores(y_true, y_pred, memberships, metric=metric, kind=kind, bootstrap=bootstrap, seed=seed,
                             confidence=confidence, task_labels=task_labels)
    return with_membership(scores, memberships, task_labels)
