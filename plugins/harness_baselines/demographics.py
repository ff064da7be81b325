"""The ``demographics`` baseline: age, sex and BMI as the only features.

Condition labels (hypertension, diabetes, AF, ...) correlate with age and BMI in every real cohort, so
an encoder is only interesting where it beats this baseline. It reads ``batch.labels`` (per-segment
arrays of the participant-table columns its spec declares as ``input_labels``) and ignores the signal;
the harness refuses to score it on a task whose label is one of those inputs.

Missing values are imputed with fixed, documented constants (not statistics of the data, which would
leak across probe folds) and flagged with one missing-indicator column per feature, so the probe gets
finite input and can learn what "missing" means. BMI is derived from height (cm) and weight (kg) when
the store has those but no ``bmi`` column.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness import Batch, UsageError
from harness_baselines._common import check_modality, refuse_checkpoint, revision_of
from harness_baselines.prior import cheap_input_spec

FEATURES = ("age", "sex", "bmi")
INPUT_LABELS = ("age", "sex", "bmi", "height", "weight")  # height and weight give BMI when it is missing
# Imputation constants: a mid-life adult, an undetermined sex, a typical adult BMI.
IMPUTE = {"age": 50.0, "sex": 0.5, "bmi": 26.0}


def _bmi_from_height_weight(labels: dict[str, np.ndarray]) -> np.ndarray | None:
    if "height" not in labels or "weight" not in labels:
        return None
    height_m = np.asarray(labels["height"], dtype=np.float64) / 100.0
    weight = np.asarray(labels["weight"], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        bmi = weight / height_m**2
    bmi[~np.isfinite(bmi) | (height_m <= 0)] = np.nan
    return bmi


class DemographicsEncoder:
    """Embedding = ``[age, sex, bmi, age_missing, sex_missing, bmi_missing]`` (float32)."""

    embedding_dim = 2 * len(FEATURES)
    training_datasets: tuple[str, ...] = ()
    training_revisions: tuple[str, ...] = ()

    def __init__(self, modality: str, name: str = "demographics") -> None:
        self.name = name
        self.modality = modality
        self.input_spec = cheap_input_spec(modality)
        self.revision = revision_of(self._settings())

    def _settings(self) -> dict[str, Any]:
        return {"encoder": self.name, "modality": self.modality, "features": list(self.feature_names()),
                "impute": IMPUTE, "input_spec": self.input_spec.to_dict()}

    @staticmethod
    def feature_names() -> tuple[str, ...]:
        return (*FEATURES, *(f"{f}_missing" for f in FEATURES))

    def embed(self, batch: Batch) -> np.ndarray:
        n = len(batch.signal)
        labels = batch.labels or {}
        columns: dict[str, np.ndarray | None] = {f: labels.get(f) for f in FEATURES}
        if columns["bmi"] is None:
            columns["bmi"] = _bmi_from_height_weight(labels)
        if all(c is None for c in columns.values()):
            raise UsageError(
                "encoder 'demographics' needs age, sex or bmi labels but the batch has none "
                f"(labels: {', '.join(sorted(labels)) or 'none'})",
                "use a store whose participant table has age/sex/bmi, or pick another encoder")
        out = np.empty((n, self.embedding_dim), dtype=np.float32)
        for j, feature in enumerate(FEATURES):
            raw = columns[feature]
            values = np.full(n, np.nan) if raw is None else np.asarray(raw, dtype=np.float64).reshape(-1)
            if len(values) != n:
                raise UsageError(f"label '{feature}' has {len(values)} values for {n} segments",
                                 "pass one label value per segment in batch.labels")
            missing = ~np.isfinite(values)
            out[:, j] = np.where(missing, IMPUTE[feature], values)
            out[:, len(FEATURES) + j] = missing
        return out

    def describe(self) -> dict[str, Any]:
        return {**self._settings(), "kind": "baseline", "revision": self.revision,
                "input_labels": list(INPUT_LABELS),
                "note": "reads labels only; missing values imputed with constants + indicator columns; "
                        "bmi derived from height/weight when absent"}


def make_demographics(*, modality: str, device: str = "cpu",
                      checkpoint: str | None = None) -> DemographicsEncoder:
    """Factory registered as ``demographics``; ``device`` is ignored."""
    refuse_checkpoint("demographics", checkpoint)
    check_modality("demographics", modality, ())
    return DemographicsEncoder(modality)
