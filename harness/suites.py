"""Benchmark suites: named sets of (datasets × encoders × tasks), declared as data in a TOML file.

The committed leaderboard is produced only by ``harness suite run``; CI re-runs a suite and
``compare`` fails when a committed score differs from the re-run by more than the tolerance.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError, UsageError
from harness.results import Result, load_results
from harness.settings import PROJECT_ROOT

DEFAULT_SUITES = PROJECT_ROOT / "leaderboard" / "suites.toml"


@dataclass
class Suite:
    name: str
    datasets: list[str]
    encoders: list[str]
    tasks: list[str]
    seed: int = 0
    folds: int = 5
    bootstrap: int = 1000
    tolerance: float = 0.01
    dtype: str = "float32"
    inference: str = "auto"
    #: label-efficiency curve: shares of each training fold's participants, seeded repeats, processes
    label_fractions: list[float] = field(default_factory=list)
    label_repeats: int = 3
    label_jobs: int = 1
    #: processes for the probes (over tasks, or one task's folds): the scores are the same for any number
    probe_jobs: int = 1
    description: str = ""
    #: encoder pairs ``[a, b]`` the leaderboard compares head to head (paired bootstrap of a - b)
    paired: list[list[str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def load_suites(path: Path | None = None) -> dict[str, Suite]:
    path = Path(path or DEFAULT_SUITES)
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"cannot read suites file {path} ({exc})", "fix the TOML or pass --suites") from exc
    suites = {}
    for name, body in raw.items():
        try:
            suites[name] = Suite(name=name, **body)
        except TypeError as exc:
            raise DataError(f"suite '{name}' in {path} is malformed ({exc})", "see leaderboard/suites.toml") from exc
    return suites


def paired_encoders(path: Path | None = None) -> list[tuple[str, str]]:
    """Every ``paired`` encoder pair declared by any suite in the file, in file order, once each."""
    pairs: list[tuple[str, str]] = []
    for suite in load_suites(path).values():
        for pair in suite.paired:
            if len(pair) != 2:
                raise DataError(f"suite '{suite.name}': paired entry {pair} is not two encoder names",
                                'write pairs as ["encoder-a", "encoder-b"]')
            if tuple(pair) not in pairs:
                pairs.append((pair[0], pair[1]))
    return pairs


def get_suite(name: str, path: Path | None = None) -> Suite:
    suites = load_suites(path)
    if name not in suites:
        raise UsageError(f"unknown suite '{name}' (known: {', '.join(sorted(suites))})", "pick one of those")
    return suites[name]


def run_suite(suite: Suite, output: Path, *, device: str = "auto", progress: bool = True) -> list[Result]:
    """Every encoder × task on every dataset, skipping pairs the dataset cannot score."""
    from harness.runner import RunConfig, Runner

    results: list[Result] = []
    for dataset in suite.datasets:
        config = RunConfig(encoders=suite.encoders, tasks=suite.tasks, dataset=dataset, seed=suite.seed,
                           device=device, output=output, folds=suite.folds, bootstrap=suite.bootstrap,
                           progress=progress, skip_unsuitable=True, dtype=suite.dtype, inference=suite.inference,
                           label_fractions=tuple(suite.label_fractions), label_repeats=suite.label_repeats,
                           label_jobs=suite.label_jobs, probe_jobs=suite.probe_jobs)
        results += Runner(config).run()
    return results


def _key(result: Result) -> tuple[str, str, str]:
    return result.dataset.name, result.encoder.name, result.task.name


def compare(rerun_dir: Path, committed_dir: Path, tolerance: float) -> list[str]:
    """Differences between a re-run and the committed results (missing, extra, or beyond tolerance)."""
    rerun = {_key(r): r for r in load_results(rerun_dir)}
    committed = {_key(r): r for r in load_results(committed_dir)}
    problems = []
    for key in sorted(set(rerun) | set(committed)):
        if key not in committed:
            problems.append(f"{'/'.join(key)}: produced by the suite but not committed")
            continue
        if key not in rerun:
            continue  # committed from another suite
        for metric, score in committed[key].scores.items():
            redone = rerun[key].scores.get(metric)
            new = None if redone is None else redone.value
            if new is None or abs(new - score.value) > tolerance:
                problems.append(f"{'/'.join(key)} {metric}: committed {score.value:.4f}, re-run {new}")
    return problems
