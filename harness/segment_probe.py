"""Window-level probes: predict a per-segment label from each segment's own embedding.

Segments of one participant are not independent (same body, same sensor placement), so every split
is by participant: outer folds are ``GroupKFold`` (regression) or ``StratifiedGroupKFold``
(classification) over participant ids, and the regularisation is chosen inside each training fold by
an inner cross-validation that is grouped the same way (``GridSearchCV`` over the ridge alphas or the
logistic Cs the participant probe uses, scaler refit in every inner fold). Confidence intervals come
from a participant-cluster bootstrap: participants are drawn with replacement and each brings all of
its segments. Predictions are stored one per segment, named ``<participant id>#<segment number>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from harness.bootstrap import cluster_bootstrap_ci as cluster_bootstrap_ci  # re-exported: its first home
from harness.bootstrap import cluster_bootstrap_values, percentile_ci
from harness.errors import DataError
from harness.metrics import get_metric
from harness.probe import LOGISTIC_CS, RIDGE_ALPHAS, ProbeConfig, ProbeOutcome, uninformative
from harness.probe_diagnostics import captured_warnings, probe_diagnostics
from harness.results import Counts, Result
from harness.scoring import score_predictions
from harness.store import SignalStore
from harness.tasks import TaskSpec

AGGREGATION = "none (one row per segment; participant-grouped folds and bootstrap)"


def segment_ids(participant_ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Unique prediction ids: the participant id and the segment's number in the store."""
    return np.asarray([f"{p}#{int(r)}" for p, r in zip(participant_ids[rows], rows, strict=True)])


def read_segment_targets(task: TaskSpec, store: SignalStore, folds: int) -> pd.Series:
    """The task's target per segment number (NaN = missing), checked to be scorable before embedding."""
    if task.label not in store.segment_labels:
        shown = ", ".join(store.segment_labels) or "none"
        raise DataError(f"task '{task.name}' needs segment label '{task.label}', which dataset '{store.name}' "
                        f"lacks (its segment labels: {shown})", "choose another task or --dataset")
    task.check_modality(store.name, store.modality)
    raw = store.segment_label(task.label)
    if task.category is not None:
        categories = store.segment_label_categories(task.label)
        if task.category not in categories:
            raise DataError(f"task '{task.name}' needs category '{task.category}' of segment label "
                            f"'{task.label}', which dataset '{store.name}' lacks (it has: {', '.join(categories)})",
                            "choose another task or --dataset")
        code = categories.index(task.category)
        targets = np.where(np.isnan(raw), np.nan, (raw == code).astype(np.float64))
    else:
        targets = task.targets(raw)
    keep = np.isfinite(targets)
    check_segment_targets(task, targets[keep], store.participant_ids[keep], folds)
    return pd.Series(targets, index=pd.RangeIndex(store.n_segments, name="segment"))


def check_segment_targets(task: TaskSpec, y: np.ndarray, groups: np.ndarray, folds: int) -> None:
    """Enough labelled participants for participant-disjoint folds (and both classes in enough of them)."""
    n = len(np.unique(groups))
    if n < 2 * folds:
        raise DataError(f"task '{task.name}' has labelled segments from {n} participants, too few for "
                        f"{folds}-fold participant-disjoint CV", f"use fewer folds (--folds) or a dataset with at "
                        f"least {2 * folds} labelled participants")
    if task.kind == "classification":
        values = np.unique(y)
        if len(values) < 2:
            raise DataError(f"task '{task.name}' has only one class in this dataset",
                            "choose a task with both classes present")
        if not np.isin(values, (0, 1)).all():
            raise DataError(f"task '{task.name}' needs 0/1 labels, found {values[:5].tolist()}",
                            "encode the label as 0/1 or give the task a threshold or category")
        for cls in (0.0, 1.0):
            having = len(np.unique(groups[y == cls]))
            if having < folds:
                raise DataError(f"task '{task.name}': only {having} participants have segments of class {cls:g}, "
                                f"fewer than the {folds} folds", "use fewer folds (--folds) or a larger dataset")


def _splitters(task: TaskSpec, n_splits: int, seed: int) -> Any:
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    if task.kind == "classification":
        return StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    return GroupKFold(n_splits, shuffle=True, random_state=seed)


def _fit_fold(task: TaskSpec, x: np.ndarray, y: np.ndarray, groups: np.ndarray, config: ProbeConfig,
              fold: int) -> tuple[Any, dict[str, Any]]:
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    inner = _splitters(task, config.inner_folds, config.seed + fold)
    if task.kind == "regression":
        search = GridSearchCV(make_pipeline(StandardScaler(), Ridge()), {"ridge__alpha": RIDGE_ALPHAS},
                              cv=inner, scoring="neg_mean_squared_error")
        search.fit(x, y, groups=groups)
        return search, {"fold": fold, "alpha": float(search.best_params_["ridge__alpha"])}
    search = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                          {"logisticregression__C": LOGISTIC_CS}, cv=inner, scoring="roc_auc")
    search.fit(x, y.astype(int), groups=groups)
    return search, {"fold": fold, "C": float(search.best_params_["logisticregression__C"])}


def paired_cluster_ci(metric_name: str, y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray,
                      groups: np.ndarray, *, n: int, seed: int, confidence: float) -> tuple[float, float]:
    """CI of ``metric(a) - metric(b)`` on the same participant-cluster resamples (``harness compare``)."""
    fn = get_metric(metric_name).function
    values = cluster_bootstrap_values(lambda rows: fn(y[rows], pred_a[rows]) - fn(y[rows], pred_b[rows]), groups,
                             n=n, seed=seed)
    return percentile_ci(values, confidence)


def prediction_participants(ids: Sequence[str]) -> np.ndarray:
    """The participant of each segment prediction id (``<participant>#<segment>``)."""
    return np.asarray([str(i).rsplit("#", 1)[0] for i in ids])


def run_segment_probe(task: TaskSpec, features: np.ndarray, y: np.ndarray, groups: np.ndarray,
                      config: ProbeConfig) -> ProbeOutcome:
    """Participant-disjoint CV linear probe on segment rows, with participant-cluster bootstrap CIs."""
    features = np.asarray(features, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    groups = np.asarray(groups)
    check_segment_targets(task, y, groups, config.folds)
    pred = np.empty_like(y)
    fold_params: list[dict[str, Any]] = []
    no_information = uninformative(features)
    splitter = _splitters(task, config.folds, config.seed)
    with captured_warnings() as caught:
        for fold, (train, test) in enumerate(splitter.split(features, y, groups)):
            if set(groups[train]) & set(groups[test]):  # the splitter's contract, kept visible
                raise AssertionError("a participant is in both the training and the test fold")
            if no_information:
                pred[test] = float(np.mean(y[train])) if task.kind == "regression" else 0.5
                fold_params.append({"fold": fold, "model": "none (features carry no information)"})
                continue
            model, params = _fit_fold(task, features[train], y[train], groups[train], config, fold)
            pred[test] = model.predict(features[test]) if task.kind == "regression" \
                else model.predict_proba(features[test])[:, 1]
            fold_params.append({**params, "test_participants": len(set(groups[test]))})
    scores = score_predictions((task.metric, *task.extra_metrics), y, pred, bootstrap=config.bootstrap,
                               seed=config.seed, confidence=config.confidence, groups=groups)
    return ProbeOutcome(scores, fold_params, y, pred,
                        probe_diagnostics(caught, fold_params, pred, {"alpha": RIDGE_ALPHAS, "C": LOGISTIC_CS}))


@dataclass(frozen=True)
class SegmentProbe:
    """A scored segment task: the outcome, the prediction ids, and who was probed."""

    outcome: ProbeOutcome
    ids: np.ndarray
    participants: int
    segments: int

    def with_counts(self, result: Result, task: TaskSpec) -> Result:
        """``counts`` of a segment task: participants and segments probed; positive segments in ``extra``."""
        extra: dict[str, Any] = {"unit": "segment"}
        if task.kind == "classification":
            extra["positive_segments"] = int(np.asarray(self.outcome.y_true).sum())
        return replace(result, counts=Counts(participants=self.participants, segments=self.segments,
                                             extra=extra))


def probe_segments(task: TaskSpec, targets: pd.Series, embeddings: np.ndarray, participant_ids: np.ndarray,
                   config: ProbeConfig) -> SegmentProbe:
    """Score ``task`` on every labelled segment of a store (``targets`` from :func:`read_segment_targets`)."""
    y = targets.to_numpy()
    rows = np.flatnonzero(np.isfinite(y))
    groups = np.asarray(participant_ids)[rows]
    outcome = run_segment_probe(task, embeddings[rows], y[rows], groups, config)
    return SegmentProbe(outcome, segment_ids(np.asarray(participant_ids), rows), len(np.unique(groups)), len(rows))
