"""Probe tasks are data: a label, a kind, a metric. The probe machinery lives in :mod:`harness.probe`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class TaskSpec:
    """A probe task: which participant label to predict, how, and how it is scored.

    ``threshold`` turns a numeric label into a binary one (``label > threshold``); ``modalities`` limits
    the task to stores of those modalities (empty = any). Whether a higher score is better is a
    property of the metric (:data:`harness.metrics.METRICS`), not of the task.
    """

    name: str
    version: int
    label: str
    kind: Literal["regression", "classification"]
    metric: str
    description: str = ""
    threshold: float | None = None
    modalities: tuple[str, ...] = ()
    extra_metrics: tuple[str, ...] = ()

    @property
    def higher_is_better(self) -> bool:
        """From the metrics table; an unknown metric is a :class:`~harness.errors.DataError`."""
        from harness.metrics import get_metric

        return get_metric(self.metric).higher_is_better

    @property
    def versioned_name(self) -> str:
        return f"{self.name}@v{self.version}"

    def targets(self, raw: np.ndarray) -> np.ndarray:
        """Turn the stored label into the probe target (NaN = missing)."""
        values = np.asarray(raw, dtype=np.float64)
        if self.threshold is None:
            return values
        out = (values > self.threshold).astype(np.float64)
        out[np.isnan(values)] = np.nan
        return out

    def to_dict(self) -> dict[str, Any]:
        """The fields plus ``higher_is_better`` (result files keep recording it for their readers)."""
        return {**asdict(self), "higher_is_better": self.higher_is_better}
