"""Label efficiency: how a probe's score grows with the share of labelled training participants.

For each fraction ``f`` and each seeded repeat, every outer training fold of the task's probe (the same
participant folds, :func:`harness.probe.outer_splitter`) is subsampled to ``ceil(f * n)`` of its
participants, stratified by class for classification, and the probe is refitted on that subsample alone
(scaler and regularisation chosen inside it, as the full probe does). The full test folds are predicted,
the predictions pooled over folds, and the task's main metric computed on them: one score per repeat.
A point of the curve is the mean over repeats with their range. At ``f = 1`` the subsample is the whole
fold, so the point is the main score itself (computed once, not per repeat).

A fraction that leaves a training fold too few participants to fit (fewer than :data:`MIN_TRAIN`, or,
for classification, fewer than the inner folds in a class) is recorded as not scorable with the reason,
never dropped. The area under the curve is the trapezoid over ``log10(fraction)``, divided by the width
of that axis: the mean score over the log-fraction range, in the metric's unit, comparable across
encoders scored on the same fractions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.errors import UsageError
from harness.metrics import get_metric
from harness.parallel import in_processes
from harness.probe import ProbeConfig, fit_predict, outer_splitter, uninformative
from harness.probe_diagnostics import captured_warnings
from harness.tasks import TaskSpec

#: fewest training participants a subsampled fold is fitted on
MIN_TRAIN = 10
#: offset of the subsampling seeds from the probe seed (other analyses use other offsets)
SEED_OFFSET = 7000
AXIS = "log10(fraction), trapezoid, divided by the axis width (the mean score over the log-fraction range)"


def check_fractions(fractions: Sequence[float], repeats: int) -> tuple[float, ...]:
    """Fractions in (0, 1], unique, sorted; a :class:`UsageError` names the first bad one."""
    out = []
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, int | float) or not math.isfinite(f) or not 0 < f <= 1:
            raise UsageError(f"label fraction {f!r} is not a share of participants in (0, 1]",
                             "give fractions such as 0.1,0.25,0.5,1")
        out.append(float(f))
    if len(set(out)) != len(out):
        raise UsageError(f"label fractions {', '.join(f'{f:g}' for f in out)} repeat a value", "give each once")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or not 1 <= repeats <= 100:
        raise UsageError(f"label repeats {repeats!r} is not a whole number from 1 to 100", "give e.g. 3")
    return tuple(sorted(out))


def _subsample(rng: np.random.Generator, train: np.ndarray, y: np.ndarray, fraction: float,
               classification: bool) -> np.ndarray:
    """``ceil(fraction * len(train))`` of the training rows; per class (rounded up) for classification."""
    if fraction >= 1:
        return train
    if not classification:
        return np.sort(rng.choice(train, size=math.ceil(fraction * len(train)), replace=False))
    parts = [rng.choice(rows, size=math.ceil(fraction * len(rows)), replace=False)
             for rows in (train[y[train] == c] for c in (0.0, 1.0))]
    return np.sort(np.concatenate(parts))


def _too_few(task: TaskSpec, y_sub: np.ndarray, config: ProbeConfig) -> str | None:
    if len(y_sub) < MIN_TRAIN:
        return f"{len(y_sub)} training participants in a fold, fewer than {MIN_TRAIN}"
    if task.kind == "classification":
        rarer = int(min((y_sub == 0).sum(), (y_sub == 1).sum()))
        if rarer < config.inner_folds:
            return f"{rarer} participants of the rarer class in a fold, fewer than the {config.inner_folds} inner folds"
    return None


def area(fractions: Sequence[float], values: Sequence[float | None]) -> float | None:
    """Mean score over the log-fraction axis (trapezoid); ``None`` unless every point is scorable and the
    axis has a width (two fractions or more)."""
    if len(fractions) < 2 or any(v is None for v in values):
        return None
    x = np.log10(np.asarray(fractions, dtype=float))
    y = np.asarray(values, dtype=float)
    return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)) / (x[-1] - x[0]))


def _repeat(task: TaskSpec, features: np.ndarray, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]],
            config: ProbeConfig, fraction: float, k: int, r: int,
            informative: bool) -> tuple[float | None, list[int], str | None]:
    """One seeded repeat of one fraction: (score of the pooled test-fold predictions, training sizes per
    fold, or the reason the fraction cannot be fitted). A pure function of its arguments, so repeats run
    in any order or process with the same result."""
    rng = np.random.default_rng([config.seed + SEED_OFFSET, k, r])
    pred = np.empty_like(y)
    sizes: list[int] = []
    with captured_warnings():
        for fold, (train, test) in enumerate(folds):
            sub = _subsample(rng, train, y, fraction, task.kind == "classification")
            problem = _too_few(task, y[sub], config)
            if problem:
                return None, sizes, problem
            sizes.append(len(sub))
            if not informative:
                pred[test] = float(np.mean(y[sub])) if task.kind == "regression" else 0.5
            else:
                pred[test], _ = fit_predict(task, features[sub], y[sub], features[test], config, fold)
    return float(get_metric(task.metric).reference(y, pred)), sizes, None


def label_efficiency(task: TaskSpec, features: np.ndarray, y: np.ndarray, config: ProbeConfig,
                     fractions: Sequence[float], repeats: int, full_score: float, *,
                     jobs: int = 1) -> dict[str, Any]:
    """The curve of ``task``'s main metric over ``fractions`` (see the module docstring).

    ``full_score`` is the main probe's score (the point at fraction 1). ``jobs`` > 1 fits the repeats in
    that many processes (one BLAS thread each); the curve is the same for any ``jobs``.
    """
    fractions = check_fractions(fractions, repeats)
    features = np.asarray(features, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    metric = get_metric(task.metric)
    folds = list(outer_splitter(task, config).split(features, y))
    informative = not uninformative(features)
    work = [(k, f, r) for k, f in enumerate(fractions) if f < 1 for r in range(repeats)]
    done = in_processes(_repeat, [(task, features, y, folds, config, f, k, r, informative) for k, f, r in work],
                        jobs)
    outcome = {(k, r): d for (k, _, r), d in zip(work, done, strict=True)}
    points: list[dict[str, Any]] = []
    for k, fraction in enumerate(fractions):
        if fraction >= 1:
            points.append({"fraction": fraction, "status": "ok", "value": full_score, "min": full_score,
                           "max": full_score, "values": [full_score],
                           "train_participants": [len(train) for train, _ in folds]})
            continue
        runs = [outcome[(k, r)] for r in range(repeats)]
        problem = next((p for _, _, p in runs if p), None)
        if problem:
            points.append({"fraction": fraction, "status": "not_scorable", "reason": problem})
            continue
        values = [float(v) for v, _, _ in runs if v is not None]
        points.append({"fraction": fraction, "status": "ok", "value": float(np.mean(values)),
                       "min": min(values), "max": max(values), "values": values, "train_participants": runs[0][1]})
    return {"metric": task.metric, "higher_is_better": metric.higher_is_better, "fractions": list(fractions),
            "repeats": repeats, "seed": config.seed + SEED_OFFSET, "points": points,
            "area": area(fractions, [p.get("value") for p in points]), "area_axis": AXIS,
            "min_train": MIN_TRAIN}


def curve_problems(stored: Mapping[str, Any], main_score: float) -> list[str]:
    """What in a stored curve does not follow from its own numbers (its refits cannot be redone without
    the embeddings): each point's mean and range of its repeats, the point at fraction 1 equal to the
    main score, and the area."""
    problems = []
    try:
        points = list(stored["points"])
        fractions = [float(p["fraction"]) for p in points]
        for p in points:
            if p.get("status") != "ok":
                continue
            values = [float(v) for v in p["values"]]
            if not values or not math.isclose(float(p["value"]), float(np.mean(values)), abs_tol=1e-9) \
                    or not math.isclose(float(p["min"]), min(values), abs_tol=1e-9) \
                    or not math.isclose(float(p["max"]), max(values), abs_tol=1e-9):
                problems.append(f"label_efficiency point {p['fraction']:g} is not the mean and range of its repeats")
            if float(p["fraction"]) >= 1 and not math.isclose(float(p["value"]), main_score, abs_tol=1e-9):
                problems.append("label_efficiency point 1 differs from the main score")
        derived = area(fractions, [p.get("value") if p.get("status") == "ok" else None for p in points])
        got = stored.get("area")
        if (derived is None) != (got is None) or (derived is not None and got is not None
                                                  and not math.isclose(float(got), derived, abs_tol=1e-9)):
            problems.append(f"label_efficiency area {got} is not the area of its points ({derived})")
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(f"label_efficiency is malformed ({type(exc).__name__}: {exc})")
    return problems
