"""Shared benchmark fixtures: cached synthetic stores and a ratio ledger printed and saved at the end.

Run with ``.venv/bin/python -m pytest benchmarks --benchmark-only`` (not part of the default tests).
Ratios go to ``.benchmarks/ratios.json`` and the terminal summary.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.atomic import write_json

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `pytest benchmarks` (tox) does not put the checkout on the path
    sys.path.insert(0, str(ROOT))
OUT = ROOT / ".benchmarks"
_RATIOS: dict[str, dict[str, Any]] = {}
_FIGURES: dict[str, Any] = {}


def best_time(fn: Callable[[], Any], rounds: int = 3) -> float:
    """Fastest of ``rounds`` runs (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


@dataclass
class Paired:
    """Trials of a rate, each measured between two runs of its reference (higher is better for both)."""

    rates: list[float]
    references: list[float]  # one more than the trials: before the first, then after each
    ratios: list[float]  # each trial's rate over the mean of the references either side of it

    @property
    def ratio(self) -> float:
        return float(statistics.median(self.ratios))

    @property
    def rate(self) -> float:
        return float(statistics.median(self.rates))

    def figure(self) -> dict[str, Any]:
        return {"rate": round(self.rate, 1), "reference": round(statistics.median(self.references), 1),
                "ratios": [round(r, 3) for r in self.ratios]}


def paired(measure: Callable[[], float], reference: Callable[[], float], trials: int = 3) -> Paired:
    """``measure`` interleaved with ``reference`` (ref, measure, ref, measure, ..., ref); the ratio is the
    median over trials. A CPU whose speed drifts during a benchmark (these VMs' does, by 30 %) then moves
    both sides of every trial alike, where best-of-N of each side, taken minutes apart, does not."""
    references = [reference()]
    rates, ratios = [], []
    for _ in range(trials):
        rates.append(measure())
        references.append(reference())
        ratios.append(rates[-1] / ((references[-2] + references[-1]) / 2))
    return Paired(rates, references, ratios)


class Ledger:
    """Ratios (with their goals) and raw figures of this run."""

    def ratio(self, name: str, value: float, goal: str, met: bool) -> None:
        _RATIOS[name] = {"value": round(float(value), 4), "goal": goal, "met": bool(met)}

    def figure(self, name: str, value: Any) -> None:
        _FIGURES[name] = value


@pytest.fixture(scope="session")
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture(scope="session")
def bench_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An isolated HARNESS_HOME; built stores are kept under .benchmarks/stores between runs."""
    home = tmp_path_factory.mktemp("bench-home")
    os.environ["HARNESS_HOME"] = str(home)
    os.environ.setdefault("HARNESS_RESULTS", str(home / "results"))
    return home


def cached_store(name: str, participants: int, segments: int = 4) -> Path:
    """Build (once, then reuse) a synthetic store under .benchmarks/stores."""
    from harness.catalog import build_dataset

    target = OUT / "stores" / f"{name}-{participants}x{segments}"
    if not (target / "zarr.json").exists():
        build_dataset(name, participants=participants, options={"segments_per_participant": segments},
                      output=target, progress=False)
    return target


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _RATIOS and not _FIGURES:
        return
    tr = terminalreporter
    tr.section("benchmark ratios (same run)")
    for name, r in _RATIOS.items():
        tr.write_line(f"{name:<48} {r['value']:>10.4g}   goal {r['goal']:<10} {'met' if r['met'] else 'NOT met'}")
    for name, value in _FIGURES.items():
        tr.write_line(f"  {name}: {value}")
    path = OUT / "ratios.json"
    try:  # a partial run (-k) updates its own entries and keeps the others
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        old = {}
    payload = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version()},
               "ratios": {**old.get("ratios", {}), **_RATIOS},
               "figures": {**old.get("figures", {}), **{k: json.loads(json.dumps(v, default=str))
                                                         for k, v in _FIGURES.items()}},
               "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_json(path, payload)
    tr.write_line(f"written to {path}")
