"""Across datasets: which encoders a suite can tell apart.

Per suite and modality, every (dataset, task) cell ranks the encoders by the task's main metric
(1 = best, ties share the mean rank). The summary is each encoder's mean rank with a bootstrap CI over
cells, the Friedman test of "all encoders rank alike", and the Nemenyi critical difference: two
encoders whose mean ranks differ by more than it are distinguishable at the 5 % level (Demšar 2006,
"Statistical comparisons of classifiers over multiple data sets", the critical-difference diagram).

Friedman needs complete blocks, so a group ranks the encoders scored on every cell of the suite's
datasets for that modality; encoders with fewer cells are listed as left out, never ranked on a
subset that would flatter them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.results import Result

CONFIDENCE = 0.95
ALPHA = 0.05


@dataclass(frozen=True)
class RankSummary:
    suite: str
    modality: str
    cells: tuple[tuple[str, str], ...]
    encoders: tuple[str, ...]
    mean_rank: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    friedman_statistic: float | None
    friedman_p: float | None
    critical_difference: float | None
    left_out: tuple[str, ...] = ()
    distinguishable: tuple[tuple[str, str], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite, "modality": self.modality, "cells": [list(c) for c in self.cells],
            "encoders": [{"name": n, "mean_rank": round(m, 6), "ci_low": round(lo, 6), "ci_high": round(hi, 6)}
                         for n, m, lo, hi in zip(self.encoders, self.mean_rank, self.ci_low, self.ci_high)],
            "friedman_statistic": _round(self.friedman_statistic), "friedman_p": _round(self.friedman_p),
            "critical_difference": _round(self.critical_difference), "left_out": list(self.left_out),
            "distinguishable": [list(p) for p in self.distinguishable],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def cell_ranks(scores: np.ndarray, higher_is_better: Sequence[bool]) -> np.ndarray:
    """``(cells, encoders)`` scores -> ranks per cell (1 = best; ties get their mean rank)."""
    from scipy.stats import rankdata

    signed = np.where(np.asarray(higher_is_better)[:, None], -scores, scores)
    return np.vstack([rankdata(row, method="average") for row in signed])


def critical_difference(k: int, n: int, alpha: float = ALPHA) -> float:
    """Nemenyi's critical difference of mean ranks for ``k`` encoders over ``n`` cells."""
    from scipy.stats import studentized_range

    q = studentized_range.ppf(1 - alpha, k, math.inf) / math.sqrt(2)
    return float(q * math.sqrt(k * (k + 1) / (6 * n)))


def summarise_group(suite: str, modality: str, results: Sequence[Result], *, n_boot: int = 1000,
                    seed: int = 0) -> RankSummary | None:
    """The rank summary of one suite x modality; ``None`` when fewer than two encoders are complete."""
    from scipy.stats import friedmanchisquare

    index = {(r.dataset.name, r.task.name, r.encoder.name): r for r in results}
    cells = sorted({(d, t) for d, t, _ in index})
    everyone = sorted({e for _, _, e in index})
    complete = [e for e in everyone if all((d, t, e) in index for d, t in cells)]
    if len(complete) < 2 or not cells:
        return None
    scores = np.array([[index[(d, t, e)].main_score.value for e in complete] for d, t in cells], dtype=np.float64)
    direction = [index[(d, t, complete[0])].task.higher_is_better for d, t in cells]
    ranks = cell_ranks(scores, direction)
    mean = ranks.mean(axis=0)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(cells), size=(n_boot, len(cells)))
    boot = ranks[draws].mean(axis=1)  # (n_boot, encoders): resampling cells, the unit of the comparison
    tail = (1 - CONFIDENCE) / 2
    low, high = np.quantile(boot, [tail, 1 - tail], axis=0)
    statistic = p_value = cd = None
    pairs: list[tuple[str, str]] = []
    if len(complete) >= 3 and len(cells) >= 2:
        if np.ptp(ranks, axis=1).any():
            stat, p = friedmanchisquare(*ranks.T)
            statistic, p_value = float(stat), float(p)
        else:  # every cell ranks alike or all tie: Friedman's statistic is undefined, nothing differs
            statistic, p_value = 0.0, 1.0
        cd = critical_difference(len(complete), len(cells))
        if p_value < ALPHA:
            pairs = [(complete[i], complete[j]) for i in range(len(complete)) for j in range(i + 1, len(complete))
                     if abs(mean[i] - mean[j]) > cd]
    order = np.argsort(mean, kind="stable")
    return RankSummary(
        suite=suite, modality=modality, cells=tuple(cells), encoders=tuple(complete[i] for i in order),
        mean_rank=tuple(float(mean[i]) for i in order), ci_low=tuple(float(low[i]) for i in order),
        ci_high=tuple(float(high[i]) for i in order), friedman_statistic=statistic, friedman_p=p_value,
        critical_difference=cd, left_out=tuple(e for e in everyone if e not in complete),
        distinguishable=tuple(sorted(pairs)))


def suite_rankings(results: Sequence[Result], suites: Mapping[str, Sequence[str]]) -> list[RankSummary]:
    """One summary per (suite, modality): ``suites`` maps a suite name to its datasets."""
    out = []
    for name in sorted(suites):
        datasets = set(suites[name])
        mine = [r for r in results if r.dataset.name in datasets]
        for modality in sorted({r.dataset.modality for r in mine}):
            summary = summarise_group(name, modality, [r for r in mine if r.dataset.modality == modality])
            if summary is not None:
                out.append(summary)
    return out


def render_markdown(summaries: Sequence[RankSummary]) -> str:
    from tabulate import tabulate

    if not summaries:
        return ""
    lines = ["## Across datasets", "",
             "Per suite and modality: each encoder's mean rank over the (dataset, task) cells (1 = best; "
             "bootstrap 95 % CI over cells), the Friedman test, and the Nemenyi critical difference (CD, "
             "α = 0.05): encoders whose mean ranks differ by more than the CD are distinguishable. Only "
             "encoders scored on every cell are ranked.", ""]
    for s in summaries:
        lines.append(f"### {s.suite} · {s.modality.upper()} ({len(s.cells)} cells)\n")
        rows = [[e, f"{m:.2f} [{lo:.2f}, {hi:.2f}]"] for e, m, lo, hi in zip(s.encoders, s.mean_rank, s.ci_low,
                                                                             s.ci_high)]
        lines.append(tabulate(rows, headers=["encoder", "mean rank [95% CI]"], tablefmt="github"))
        lines.append("")
        lines.append(describe(s) + "\n")
    return "\n".join(lines)


def describe(s: RankSummary) -> str:
    """One paragraph: the test, the CD and which pairs differ."""
    parts = []
    if s.friedman_p is None:
        parts.append("Too few encoders or cells for the Friedman test.")
    else:
        parts.append(f"Friedman χ² = {s.friedman_statistic:.2f}, p = {s.friedman_p:.3g}; CD = "
                     f"{s.critical_difference:.2f}.")
        if s.distinguishable:
            parts.append("Distinguishable: " + "; ".join(f"{a} vs {b}" for a, b in s.distinguishable) + ".")
        else:
            parts.append("No pair is distinguishable at this many cells.")
    if s.left_out:
        parts.append("Not ranked (not scored on every cell): " + ", ".join(s.left_out) + ".")
    return " ".join(parts)
