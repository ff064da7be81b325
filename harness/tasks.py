"""Probe tasks are data: a label, a kind, a metric. The probe machinery lives in :mod:`harness.probe`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from harness.modality import modality_problem
from harness.specs import Spec


@dataclass(frozen=True, kw_only=True)
class TaskSpec(Spec):
    """A probe task: which participant label to predict, how, and how it is scored.

    ``threshold`` turns a numeric label into a binary one (``label > threshold``); ``modalities`` limits
    the task to stores of those modalities (empty = any). Whether a higher score is better is a
    property of the metric (:data:`harness.metrics.METRICS`), not of the task.
    """

    entry_kind: ClassVar[str] = "task"
    version: int
    label: str
    kind: Literal["regression", "classification"]
    metric: str
    threshold: float | None = None
    modalities: tuple[str, ...] = ()
    extra_metrics: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        from harness.metrics import METRICS

        out = super().problems()
        if not (isinstance(self.version, int) and self.version >= 1):
            out.append(f"field 'version' must be an int >= 1, got {self.version!r}")
        if not (isinstance(self.label, str) and self.label):
            out.append("field 'label' must name a participant label")
        if self.kind not in ("regression", "classification"):
            out.append(f"field 'kind' is {self.kind!r}, expected 'regression' or 'classification'")
        for key in ("metric", "extra_metrics"):
            for metric in (self.metric,) if key == "metric" else self.extra_metrics:
                if metric not in METRICS:
                    out.append(f"field '{key}' names unknown metric {metric!r} (known: {', '.join(METRICS)})")
                elif self.kind not in METRICS[metric].kinds:
                    out.append(f"field '{key}': metric {metric!r} does not score {self.kind} tasks")
        if self.threshold is not None and not isinstance(self.threshold, int | float):
            out.append("field 'threshold' must be a number or None")
        if not (isinstance(self.modalities, tuple) and all(modality_problem(m) is None for m in self.modalities)):
            out.append(f"field 'modalities' must be a tuple of lowercase modality names, got {self.modalities!r}")
        if not isinstance(self.extra_metrics, tuple):
            out.append("field 'extra_metrics' must be a tuple of metric names")
        return out

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
