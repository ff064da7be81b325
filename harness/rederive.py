"""Results re-derived, not trusted: every stored score is recomputed from the result's own out-of-fold
predictions, with the probe's scoring function and the bootstrap settings the result records.

A result file is JSON anyone can edit: a hand-raised AUROC would otherwise be drawn as a fact. The
predictions are what the probe produced; the scores are a deterministic function of them
(:func:`harness.scoring.score_predictions`), so recomputing must give the stored numbers to rounding.
``harness leaderboard`` (and ``--check``) refuses, in one line naming the file, a result whose scores,
participant count or positives disagree with its predictions, and one without predictions, since its
scores could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from harness.analyses import analysis_problems
from harness.errors import DataError
from harness.results import Result
from harness.scoring import score_predictions
from harness.segment_probe import prediction_participants

#: scores are recomputed from the same floats by the same code; only libm rounding may differ
TOLERANCE = 1e-9
FIX = ("re-run the command that wrote it (`harness run` or `harness suite run`); result files are written "
       "by the harness and never edited by hand")


def _where(result: Result) -> str:
    return f"result {result.path}" if result.path is not None else "result"


def is_segment_level(result: Result) -> bool:
    """A window-level result: one prediction per segment, named ``<participant id>#<segment number>``."""
    return result.task.extra.get("level") == "segment"


def rederivation_problems(result: Result) -> list[str]:
    """What in ``result`` its predictions do not give (empty when every stored number is re-derived)."""
    if not result.has_predictions or result.predictions is None:
        return ["holds no out-of-fold predictions, so its scores cannot be re-derived"]
    ids, y, pred = result.predictions.arrays()
    problems = []
    groups = prediction_participants(ids.tolist()) if is_segment_level(result) else None
    participants = len(y) if groups is None else len(np.unique(groups))
    if result.counts.participants != participants:
        problems.append(f"counts {result.counts.participants} participants but holds predictions for {participants}")
    if groups is not None and result.counts.segments is not None and result.counts.segments != len(y):
        problems.append(f"counts {result.counts.segments} segments but holds predictions for {len(y)}")
    if result.task.kind == "classification" and result.counts.positives is not None \
            and result.counts.positives != int((y == 1).sum()):
        problems.append(f"counts {result.counts.positives} positives but its predictions hold {int((y == 1).sum())}")
    unlisted = sorted(set(result.scores) - set(result.task.metrics))
    if unlisted:
        problems.append(f"scores {', '.join(unlisted)}, which task '{result.task.name}' does not list")
    protocol = result.protocol
    if protocol.bootstrap is None or protocol.seed is None or protocol.confidence is None:
        problems.append("does not record its bootstrap settings (config.probe: bootstrap, seed, confidence)")
        return problems
    derived = score_predictions(result.task.metrics, y, pred, bootstrap=protocol.bootstrap, seed=protocol.seed,
                                confidence=protocol.confidence, groups=groups)
    for name, values in derived.items():
        stored = result.scores[name]
        for part in ("value", "ci_low", "ci_high"):
            got, want = getattr(stored, part), values[part]
            if not np.isclose(got, want, rtol=0, atol=TOLERANCE):
                shown = name if part == "value" else f"{name} {part}"
                problems.append(f"stores {shown} {got:.6g}, but its out-of-fold predictions give {want:.6g}")
    return problems + analysis_problems(result, TOLERANCE)


def check_rederived(results: Iterable[Result]) -> None:
    """Refuse the first result whose stored numbers its predictions do not give (a ``DataError``)."""
    for result in results:
        problems = rederivation_problems(result)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise DataError(f"{_where(result)} {problems[0]}{more}", FIX)
