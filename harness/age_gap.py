"""Age gap: out-of-fold predicted age minus true age, corrected for regression to the mean inside training
folds, and its association with each condition label of the dataset (issue 13.5).

The analysis of Apple's aging-clock follow-up to the AHMS foundation-model paper (Miller et al. 2025, "A
wearable-based aging clock associates with disease and behavior", PpgAge), in the form brain-age work uses
(de Lange & Cole 2020, NeuroImage: Clinical 26:102229; Le Goallec et al. 2022, Nat Commun 13:1979):

* A probe regresses towards the mean: the raw gap ``predicted - age`` falls with age, so a raw gap mostly
  restates age. The correction is fitted on training participants only: in each outer fold of the probe
  (the same ``KFold(folds, shuffle=True, random_state=seed)`` split, so the test fold's predictions are the
  score's own out-of-fold predictions) the training participants get cross-validated predictions from an
  inner ``KFold`` (seed ``seed + fold``) with the probe's pipeline (standardise + RidgeCV), the line
  ``gap = a + b * age`` is fitted to them by least squares, and the test fold's corrected gap is
  ``gap - (a + b * age)``. No test participant's age or prediction enters its own correction.
* Association: for each binary (0/1) label other than sex and the task's own label, OLS
  ``corrected gap ~ 1 + condition + age + sex`` (sex dropped where absent or constant); the condition's
  coefficient is the age- and sex-adjusted difference in mean gap (years), with its OLS standard error,
  a t-based 95 % CI and p-value, and the participants with / without the condition. Fewer than
  :data:`MIN_PER_ARM` in either arm: reported as ``too_small`` with no estimate.

Everything the association needs is stored with the result (corrected gap, fold, sex and condition per
participant, aligned with ``predictions.participant_id``), so :func:`associations` re-derives it from
the file; the correction's fit needs the embeddings and is recorded per fold (``a``, ``b``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ANALYSIS = "age-gap"
SEX_LABEL = "sex"
MIN_PER_ARM = 5


def _inner_predictions(features: np.ndarray, age: np.ndarray, *, folds: int, seed: int,
                       alphas: np.ndarray, informative: bool) -> np.ndarray:
    pred = np.empty_like(age)
    for train, test in KFold(folds, shuffle=True, random_state=seed).split(features):
        if not informative:
            pred[test] = float(np.mean(age[train]))
            continue
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas))
        model.fit(features[train], age[train])
        pred[test] = model.predict(features[test])
    return pred


def fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares ``y = a + b * x``; ``b = 0`` where ``x`` is constant."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xc = x - x.mean()
    denom = float((xc ** 2).sum())
    b = float((xc * (y - y.mean())).sum() / denom) if denom > 0 else 0.0
    return float(y.mean() - b * x.mean()), b


def corrected_gaps(features: np.ndarray, age: np.ndarray, oof_pred: np.ndarray, *, folds: int, seed: int,
                   alphas: np.ndarray, informative: bool = True) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    """``(corrected gap, outer fold, per-fold correction)`` for the probe's out-of-fold predictions.

    ``oof_pred`` must come from the probe run with the same ``folds`` and ``seed`` (same outer split).
    """
    features = np.asarray(features, dtype=float)
    age = np.asarray(age, dtype=float)
    oof_pred = np.asarray(oof_pred, dtype=float)
    gap = np.empty_like(age)
    fold_of = np.empty(len(age), dtype=int)
    fits: list[dict[str, Any]] = []
    inner_folds = folds
    for fold, (train, test) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(features)):
        inner = _inner_predictions(features[train], age[train], folds=min(inner_folds, len(train)),
                                   seed=seed + fold, alphas=alphas, informative=informative)
        a, b = fit_line(age[train], inner - age[train])
        gap[test] = (oof_pred[test] - age[test]) - (a + b * age[test])
        fold_of[test] = fold
        fits.append({"fold": fold, "a": a, "b": b, "train_participants": len(train)})
    return gap, fold_of, fits


def _finite(values: Sequence[float | None]) -> np.ndarray:
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=float)


def association(gap: np.ndarray, age: np.ndarray, sex: np.ndarray | None, condition: np.ndarray,
                confidence: float = 0.95) -> dict[str, Any]:
    """OLS ``gap ~ 1 + condition + age (+ sex)``: the condition's adjusted difference in mean gap."""
    from scipy import stats

    cols = [np.asarray(gap, float), np.asarray(condition, float), np.asarray(age, float)]
    if sex is not None:
        cols.append(np.asarray(sex, float))
    keep = np.all([np.isfinite(c) for c in cols], axis=0)
    y, cond, a = cols[0][keep], cols[1][keep], cols[2][keep]
    n_with, n_without = int((cond == 1).sum()), int((cond == 0).sum())
    out: dict[str, Any] = {"n_with": n_with, "n_without": n_without,
                           "mean_gap_with": float(y[cond == 1].mean()) if n_with else None,
                           "mean_gap_without": float(y[cond == 0].mean()) if n_without else None}
    if min(n_with, n_without) < MIN_PER_ARM:
        return {**out, "status": "too_small", "covariates": []}
    design = [np.ones_like(y), cond, a]
    covariates = ["age"]
    if sex is not None and len(np.unique(cols[3][keep])) > 1:
        design.append(cols[3][keep])
        covariates.append("sex")
    x = np.column_stack(design)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    if dof < 1:
        return {**out, "status": "too_small", "covariates": covariates}
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / dof
    se = float(math.sqrt(sigma2 * np.linalg.pinv(x.T @ x)[1, 1]))
    t = float(stats.t.ppf(0.5 + confidence / 2, dof))
    estimate = float(beta[1])
    p = float(2 * stats.t.sf(abs(estimate / se), dof)) if se > 0 else (0.0 if estimate else 1.0)
    return {**out, "status": "ok", "estimate": estimate, "se": se, "ci_low": estimate - t * se,
            "ci_high": estimate + t * se, "p_value": p, "dof": dof, "covariates": covariates}


def condition_labels(participants: Any, exclude: Sequence[str]) -> list[str]:
    """Participant-table columns holding 0/1 flags, other than sex and ``exclude`` (sorted)."""
    found = []
    for name in participants.columns:
        if name == SEX_LABEL or name in exclude:
            continue
        values = participants[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if len(values) and set(np.unique(values)) <= {0.0, 1.0}:
            found.append(str(name))
    return sorted(found)


def _listed(values: np.ndarray) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def associations(stored: Mapping[str, Any], age: np.ndarray, confidence: float = 0.95) -> dict[str, Any]:
    """Every condition's association from the per-participant values a result stores (re-derivable)."""
    gap = _finite(stored["gap_corrected"])
    sex = _finite(stored["sex"]) if stored.get("sex") is not None else None
    return {name: association(gap, age, sex, _finite(values), confidence)
            for name, values in sorted(stored["conditions"].items())}


def compute(features: np.ndarray, age: np.ndarray, oof_pred: np.ndarray, participants: Any, ids: Sequence[str], *,
            folds: int, seed: int, alphas: np.ndarray, informative: bool, task_label: str,
            confidence: float = 0.95) -> dict[str, Any]:
    """The ``"age_gap"`` entry of an age result (the runner's one call)."""
    gap, fold_of, fits = corrected_gaps(features, age, oof_pred, folds=folds, seed=seed, alphas=alphas,
                                        informative=informative)
    rows = [str(i) for i in ids]
    sex = (participants[SEX_LABEL].reindex(rows).to_numpy(dtype=float)
           if SEX_LABEL in participants.columns else None)
    conditions = {name: _listed(participants[name].reindex(rows).to_numpy(dtype=float))
                  for name in condition_labels(participants, (task_label,))}
    raw = np.asarray(oof_pred, float) - np.asarray(age, float)
    stored: dict[str, Any] = {
        "method": "gap ~ a + b*age fitted per outer fold on the training participants' inner-CV predictions; "
                  "OLS corrected gap ~ condition + age + sex",
        "folds": folds, "seed": seed, "confidence": confidence, "correction": fits,
        "raw_gap_age_slope": fit_line(age, raw)[1], "corrected_gap_age_slope": fit_line(age, gap)[1],
        "gap_corrected": [float(v) for v in gap],  # the raw gap is y_pred - y_true of the predictions
        "fold": [int(f) for f in fold_of], "sex": None if sex is None else _listed(sex), "conditions": conditions,
    }
    stored["associations"] = associations(stored, np.asarray(age, float), confidence)
    return stored
