"""Linear probes on frozen embeddings, the way the AHMS paper evaluates them.

Segment embeddings are averaged per participant. Participants are split into outer folds (stratified
for classification); inside each training fold a pipeline standardises features and chooses its
regularisation by cross-validation on that fold alone (RidgeCV's efficient leave-one-out for regression,
LogisticRegressionCV with inner stratified folds for classification), then predicts the held-out fold.
Scores are computed on the pooled out-of-fold predictions; 95 % confidence intervals come from a
participant-level bootstrap of those predictions. Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegressionCV, RidgeCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from harness.errors import DataError
from harness.parallel import in_processes
from harness.probe_diagnostics import WarningRecord, captured_warnings, probe_diagnostics
from harness.scoring import score_predictions
from harness.tasks import TaskSpec

RIDGE_ALPHAS = np.logspace(-3, 5, 17)
#: the linear model probing each task kind (recorded in results as ``config.probe_model``)
PROBE_MODELS = {"regression": "ridge", "classification": "logistic"}
LOGISTIC_CS = np.logspace(-4, 3, 8)


@dataclass
class ProbeConfig:
    folds: int = 5
    inner_folds: int = 3
    bootstrap: int = 1000
    seed: int = 0
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return {"folds": self.folds, "inner_folds": self.inner_folds, "bootstrap": self.bootstrap,
                "seed": self.seed, "confidence": self.confidence,
                "ridge_alphas": [float(a) for a in RIDGE_ALPHAS],
                "logistic_Cs": [float(c) for c in LOGISTIC_CS]}


@dataclass
class ProbeOutcome:
    """Scores (``{metric: {"value", "ci_low", "ci_high"}}``), chosen regularisation per fold, and the
    pooled out-of-fold predictions, in the order of the participants passed to :func:`run_probe`.

    ``diagnostics`` says what the scores alone do not (see :func:`probe_diagnostics`): library warnings
    raised while fitting, counted per category; tuning that chose the grid's edge in every fold; constant
    predictions (whose CI is degenerate by construction). Empty when there is nothing to say.
    """

    scores: dict[str, dict[str, float]]
    fold_params: list[dict[str, Any]]
    y_true: np.ndarray
    y_pred: np.ndarray
    diagnostics: dict[str, Any] = field(default_factory=dict)


#: rows of embeddings summed at a time by :func:`participant_means` (4 MB of float32 at 256-d; the
#: embedding cache's zarr chunk). 16,384 peaked 120 MB higher at 1M segments and ran slower (3.8 vs 3.3 s).
MEANS_CHUNK_ROWS = 4096


def participant_means(embeddings: Any, participant_ids: np.ndarray,
                      chunk_rows: int = MEANS_CHUNK_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Average segment embeddings per participant; returns (unique ids in first-seen order, means).

    ``embeddings`` is anything sliceable by rows with a ``shape`` (a numpy array, a memory map, a zarr
    array such as the embedding cache's): it is read ``chunk_rows`` rows at a time into float64 sums, so
    memory is the participants' sums plus one chunk, whatever the number of segments.
    """
    import pandas as pd  # here, not at import: the CLI starts without it

    participant_ids = np.asarray(participant_ids)
    # participants numbered in first-seen order by hashing (linear in segments, where a sort is not);
    # the sums then need no reordering copy
    inverse, _ = pd.factorize(participant_ids, use_na_sentinel=False)
    inverse = inverse.astype(np.intp, copy=False)
    # codes appear in increasing order, so a participant's first row is where the running maximum rises
    first = np.flatnonzero(np.diff(np.maximum.accumulate(inverse), prepend=-1) > 0)
    ids = participant_ids[first]  # in first-seen order, in the caller's dtype
    sums = np.zeros((len(ids), embeddings.shape[1]), dtype=np.float64)
    for lo in range(0, len(inverse), chunk_rows):
        rows = inverse[lo:lo + chunk_rows]
        chunk = np.asarray(embeddings[lo:lo + chunk_rows], dtype=np.float64)
        if (rows[1:] < rows[:-1]).any():  # not grouped by participant: bring each one's rows together
            by_owner = np.argsort(rows, kind="stable")
            rows, chunk = rows[by_owner], chunk[by_owner]
        starts = np.flatnonzero(np.diff(rows, prepend=-1))
        owners = rows[starts]
        part = np.add.reduceat(chunk, starts, axis=0)  # one sum per participant in the chunk
        if owners[-1] - owners[0] + 1 == len(owners):  # consecutive participants (stores group them)
            sums[owners[0]:owners[-1] + 1] += part
        else:
            sums[owners] += part
    sums /= np.bincount(inverse, minlength=len(ids))[:, None]  # in place: the means
    return ids, sums


def check_targets(task: TaskSpec, y: np.ndarray, folds: int) -> None:
    n = len(y)
    if n < 2 * folds:
        raise DataError(f"task '{task.name}' has {n} labelled participants, too few for {folds}-fold CV",
                        f"use a dataset with at least {2 * folds} labelled participants")
    if task.kind == "classification":
        values, counts = np.unique(y, return_counts=True)
        if len(values) < 2:
            raise DataError(f"task '{task.name}' has only one class ({values[0]:g}) in this dataset",
                            "choose a task with both classes present")
        if not np.isin(values, (0, 1)).all():
            raise DataError(f"task '{task.name}' needs 0/1 labels, found {values[:5].tolist()}",
                            "encode the label as 0/1 or give the task a threshold")
        if counts.min() < folds:
            raise DataError(f"task '{task.name}' has {counts.min()} participants in its rarer class, fewer "
                            f"than the {folds} folds", "use fewer folds (--folds) or a larger dataset")


def uninformative(features: np.ndarray) -> bool:
    """No column takes two values: the features cannot tell any two participants apart."""
    return len(features) == 0 or bool((features == features[:1]).all())


def outer_splitter(task: TaskSpec, config: ProbeConfig) -> KFold | StratifiedKFold:
    """The participant folds of a task (stratified for classification), seeded by the probe seed."""
    if task.kind == "classification":
        return StratifiedKFold(config.folds, shuffle=True, random_state=config.seed)
    return KFold(config.folds, shuffle=True, random_state=config.seed)


def fit_predict(task: TaskSpec, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, config: ProbeConfig,
                fold: int) -> tuple[np.ndarray, dict[str, float]]:
    """One outer fold: scaler and regularisation fitted on the training rows alone, then the test rows
    predicted (probabilities for classification); returns the predictions and the chosen parameter."""
    if task.kind == "regression":
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
        model.fit(x_train, y_train)
        return model.predict(x_test), {"alpha": float(model[-1].alpha_)}
    inner = StratifiedKFold(config.inner_folds, shuffle=True, random_state=config.seed + fold)
    model = make_pipeline(StandardScaler(), LogisticRegressionCV(
        Cs=LOGISTIC_CS, cv=inner, scoring="roc_auc", max_iter=2000))
    model.fit(x_train, y_train.astype(int))
    return model.predict_proba(x_test)[:, 1], {"C": float(np.ravel(model[-1].C_)[0])}


def _fit_fold(task: TaskSpec, features: np.ndarray, y: np.ndarray, train: np.ndarray, test: np.ndarray,
              config: ProbeConfig, fold: int) -> tuple[np.ndarray, dict[str, float], list[Any]]:
    """One outer fold, as a pure function a worker process can run: predictions, chosen parameter, and the
    warnings the fit raised (their categories, which is what the diagnostics count)."""
    with captured_warnings() as caught:
        pred, params = fit_predict(task, features[train], y[train], features[test], config, fold)
    return pred, params, [WarningRecord(w.category) for w in caught]


def run_probe(task: TaskSpec, features: np.ndarray, y: np.ndarray, config: ProbeConfig, *,
              jobs: int = 1) -> ProbeOutcome:
    """Participant-disjoint cross-validated linear probe with bootstrap CIs.

    ``jobs`` > 1 fits the outer folds in that many processes; every fold is a pure function of its
    inputs, so the outcome is the same for any ``jobs``.

    Features that carry no information (the ``prior`` baseline) are not fitted: a regression fold
    predicts its training mean exactly, and every participant gets the same classification score, 0.5,
    so nobody is ranked (each fold's training prevalence differs a little, and pooling those values would
    rank participants by the fold they fell in: a spurious AUROC and CI around 0.5).
    """
    features = np.asarray(features, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    check_targets(task, y, config.folds)
    folds = list(outer_splitter(task, config).split(features, y))
    pred = np.empty_like(y)
    fold_params: list[dict[str, Any]] = []
    if uninformative(features):
        caught: list[Any] = []
        for fold, (train, test) in enumerate(folds):
            pred[test] = float(np.mean(y[train])) if task.kind == "regression" else 0.5
            fold_params.append({"fold": fold, "model": "none (features carry no information)"})
    else:
        fits = in_processes(_fit_fold, [(task, features, y, train, test, config, fold)
                                        for fold, (train, test) in enumerate(folds)], jobs)
        caught = []
        for fold, ((_, test), (fold_pred, params, warned)) in enumerate(zip(folds, fits, strict=True)):
            pred[test] = fold_pred
            fold_params.append({"fold": fold, **params})
            caught.extend(warned)
    scores = score_predictions((task.metric, *task.extra_metrics), y, pred, bootstrap=config.bootstrap,
                               seed=config.seed, confidence=config.confidence)
    return ProbeOutcome(scores, fold_params, y, pred, probe_diagnostics(caught, fold_params, pred,
                                                                     {"alpha": RIDGE_ALPHAS, "C": LOGISTIC_CS}))
