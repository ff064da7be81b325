"""What a probe's scores alone do not say, recorded in the result and summarised in one line.

* Library warnings raised while fitting (scikit-learn's convergence, class-size and undefined-metric
  warnings) are captured instead of flooding the screen, and counted per category. API notices
  (``FutureWarning``, ``DeprecationWarning``) say nothing about this fit and are dropped.
* Degenerate tuning: the regularisation chosen by inner cross-validation sits at an edge of its grid in
  every fold, so the grid did not contain the optimum (or the inner folds are too small to choose one);
  the scores are then those of an arbitrary edge setting.
* Constant predictions: every participant got the same prediction, so ranking metrics are exactly
  chance and their bootstrap CI has zero width by construction, not because the estimate is precise.
"""

from __future__ import annotations

import contextlib
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: categories that announce library API changes, not problems with the fit
API_NOTICES = (FutureWarning, DeprecationWarning, PendingDeprecationWarning)


@dataclass(frozen=True)
class WarningRecord:
    """What the diagnostics keep of a warning (its category): picklable, so fits in worker processes can
    return the warnings they raised."""

    category: type[Warning]


@contextlib.contextmanager
def captured_warnings() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning raised inside (none reaches the screen); API notices are dropped."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for category in API_NOTICES:
            warnings.simplefilter("ignore", category)
        yield caught


def warning_counts(caught: Sequence[warnings.WarningMessage | WarningRecord]) -> dict[str, int]:
    """``{category name: count}``, most frequent first."""
    return dict(Counter(w.category.__name__ for w in caught).most_common())


def degenerate_tuning(fold_params: list[dict[str, Any]], grids: Mapping[str, np.ndarray]) -> dict[str, Any] | None:
    """The chosen parameter when it sits at an edge of its grid in every fold, else ``None``."""
    for name, grid in grids.items():
        chosen = [p[name] for p in fold_params if name in p]
        if not chosen or len(chosen) != len(fold_params):
            continue
        low, high = float(np.min(grid)), float(np.max(grid))
        edges = ["low" if np.isclose(c, low) else "high" if np.isclose(c, high) else None for c in chosen]
        if all(edges):
            return {"parameter": name, "chosen": [float(c) for c in chosen], "grid": [low, high],
                    "edge": sorted({e for e in edges if e})}
    return None


def probe_diagnostics(caught: Sequence[warnings.WarningMessage | WarningRecord], fold_params: list[dict[str, Any]],
                      pred: np.ndarray, grids: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The diagnostics of one probe (empty when there is nothing to report)."""
    out: dict[str, Any] = {}
    counts = warning_counts(caught)
    if counts:
        out["library_warnings"] = counts
    tuning = degenerate_tuning(fold_params, grids)
    if tuning:
        out["degenerate_tuning"] = tuning
    if len(pred) and bool((pred == pred[0]).all()):
        out["constant_predictions"] = True
    return out


def summary_line(diagnostics: Mapping[str, Any], *, constant_expected: bool = False) -> str | None:
    """One ``warning:`` line's text for the diagnostics worth a user's attention (``None`` if none).

    Constant predictions are expected (and not repeated on screen) from an encoder that is constant by
    design or from inputs already reported as identical.
    """
    parts = []
    if diagnostics.get("constant_predictions") and not constant_expected:
        parts.append("every participant got the same prediction, so ranking scores are exactly chance and "
                     "their CI has zero width by construction")
    tuning = diagnostics.get("degenerate_tuning")
    if tuning:
        edge = "/".join(tuning["edge"])
        parts.append(f"the chosen {tuning['parameter']} is at the {edge} edge of its grid "
                     f"[{tuning['grid'][0]:g}, {tuning['grid'][1]:g}] in all {len(tuning['chosen'])} folds "
                     "(too few participants per class to tune, or an uninformative embedding)")
    counts = diagnostics.get("library_warnings")
    if counts:
        shown = ", ".join(f"{n} {name}" for name, n in counts.items())
        parts.append(f"{sum(counts.values())} library warnings while fitting ({shown})")
    return "; ".join(parts) if parts else None
