"""Probe tasks are data: a label, a kind, a metric. The probe machinery lives in :mod:`harness.probe`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from harness.specs import FieldChecks, Spec


@dataclass(frozen=True, kw_only=True)
class TaskSpec(Spec):
    """A probe task: which participant label to predict, how, and how it is scored.

    ``threshold`` turns a numeric label into a binary one (``label > threshold``); ``modalities`` limits
    the task to stores of those modalities (empty = any). ``level`` says what is predicted: a
    participant label from participant-mean embeddings (``"participant"``), or a per-segment label from
    each segment's embedding (``"segment"``, :mod:`harness.segment_probe`: folds still split
    participants). ``category`` makes a one-vs-rest binary task of a categorical segment label
    (target 1 where the label is that category). Whether a higher score is better is a
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
    level: Literal["participant", "segment"] = "participant"
    category: str | None = None
    #: analyses beyond the scores (``"age-gap"``: :mod:`harness.age_gap`, for an age regression task)
    analyses: tuple[str, ...] = ()

    def problems(self) -> list[str]:
        from harness.metrics import METRICS

        p = FieldChecks()
        p.need(isinstance(self.version, int) and self.version >= 1, "version",
               f"must be an int >= 1, got {self.version!r}")
        p.need(isinstance(self.label, str) and bool(self.label), "label", "must name a participant label")
        p.need(self.kind in ("regression", "classification"), "kind",
               f"is {self.kind!r}, expected 'regression' or 'classification'")
        p.names(self.extra_metrics, "extra_metrics")
        extra = self.extra_metrics if isinstance(self.extra_metrics, tuple) else ()
        for key, metric in [("metric", self.metric), *(("extra_metrics", m) for m in extra)]:
            known = metric in METRICS
            p.need(known, key, f"names unknown metric {metric!r} (known: {', '.join(METRICS)})")
            p.need(not known or self.kind in METRICS[metric].kinds, key,
                   f"names metric {metric!r}, which does not score {self.kind} tasks")
        p.need(self.threshold is None or isinstance(self.threshold, int | float), "threshold",
               "must be a number or None")
        p.names(self.modalities, "modalities", modality=True)
        p.need(self.level in ("participant", "segment"), "level",
               f"is {self.level!r}, expected 'participant' or 'segment'")
        p.need(self.category is None or (isinstance(self.category, str) and bool(self.category)
                                         and self.kind == "classification" and self.threshold is None),
               "category", "must be a category name, on a classification task without a threshold")
        p.names(self.analyses, "analyses")
        p.need(not isinstance(self.analyses, tuple) or all(a in ("age-gap",) for a in self.analyses), "analyses",
               f"names an unknown analysis in {self.analyses!r} (known: age-gap)")
        return super().problems() + p.items

    def check_modality(self, dataset: str, modality: str) -> None:
        """Refuse a store of a modality this task is not for (a :class:`~harness.errors.DataError`)."""
        if self.modalities and modality not in self.modalities:
            from harness.errors import DataError

            raise DataError(f"task '{self.name}' is for {'/'.join(self.modalities)} data, dataset "
                            f"'{dataset}' is {modality}", "choose another --dataset")

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
        out = {**asdict(self), "higher_is_better": self.higher_is_better}
        if self.level == "participant":  # participant tasks' result files stay exactly as they were
            del out["level"]
        if self.category is None:
            del out["category"]
        if not self.analyses:  # recorded only where a task has some (older result files lack the key)
            del out["analyses"]
        return out
