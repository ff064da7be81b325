"""Score one task on one encoder's embeddings: the probe, its analyses and its label-efficiency curve.

A pure function of its arguments (no store, cache or output folder), so the runner can score a run's
tasks in worker processes (``--probe-jobs``) and get, task for task, what it gets scoring them in turn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from harness.analyses import result_extras
from harness.label_efficiency import label_efficiency
from harness.probe import ProbeConfig, ProbeOutcome, run_probe
from harness.segment_probe import AGGREGATION, SegmentProbe, probe_segments
from harness.tasks import TaskSpec


@dataclass(frozen=True)
class CurveSettings:
    """``--label-fractions`` / ``--label-repeats`` / ``--label-jobs`` (no fractions: no curve)."""

    fractions: tuple[float, ...] = ()
    repeats: int = 3
    jobs: int = 1


@dataclass
class TaskScore:
    """What a result needs from the probing of one task (``segment`` set for window-level tasks)."""

    outcome: ProbeOutcome
    rows: np.ndarray
    aggregation: str
    segments: int
    extra: dict[str, Any]
    segment: SegmentProbe | None
    probe_s: float


def score_task(task: TaskSpec, targets: pd.Series, embeddings: Any, participant_ids: np.ndarray,
               ids: np.ndarray, features: np.ndarray, participants: pd.DataFrame, config: ProbeConfig,
               curve: CurveSettings, jobs: int = 1) -> TaskScore:
    """Probe ``task`` (targets per participant id, or per segment for a window-level task).

    ``embeddings`` are the per-segment rows (needed by window-level tasks only, else ``None``); ``ids``/
    ``features`` are their participant means; ``jobs`` processes fit the outer
    folds of a participant-level probe (the outcome does not depend on it).
    """
    start = time.perf_counter()
    if task.level == "segment":  # window-level: segment rows, participant-disjoint folds
        if embeddings is None:
            raise ValueError(f"window-level task '{task.name}' needs the segment embeddings")
        seg = probe_segments(task, targets, embeddings, participant_ids, config)
        return TaskScore(seg.outcome, seg.ids, AGGREGATION, seg.segments, {}, seg, time.perf_counter() - start)
    labels = targets.reindex(ids).to_numpy()
    keep = np.isfinite(labels)
    outcome = run_probe(task, features[keep], labels[keep], config, jobs=jobs)
    extra = result_extras(task, participants, ids[keep], features[keep], outcome, config)
    if curve.fractions:
        extra["label_efficiency"] = label_efficiency(task, features[keep], labels[keep], config, curve.fractions,
                                                     curve.repeats, outcome.scores[task.metric]["value"],
                                                     jobs=curve.jobs)
    segments = int(np.isin(participant_ids, ids[keep]).sum())
    return TaskScore(outcome, ids[keep], "participant mean", segments, extra, None, time.perf_counter() - start)
