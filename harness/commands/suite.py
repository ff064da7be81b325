"""``harness suite run NAME`` and ``harness suite compare`` (CI's reproducibility check)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import options
from harness.commands import command_group


def register(sub: argparse._SubParsersAction) -> None:
    _, suite_sub = command_group(sub, "suite", "run a benchmark suite, or compare a re-run with committed results",
                                 "suite_command")

    r = suite_sub.add_parser("run", help="run every encoder x task x dataset of a suite")
    r.add_argument("name")
    r.add_argument("--output", type=Path, default=None, help="result folder (default leaderboard/results)")
    r.add_argument("--suites", type=Path, default=None, help="suites file (default leaderboard/suites.toml)")
    r.add_argument("--device", default="auto")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=handle_run)

    c = suite_sub.add_parser("compare", help="fail when re-run scores differ from committed ones")
    c.add_argument("name")
    c.add_argument("rerun", type=Path, help="folder of the re-run's results")
    c.add_argument("--against", type=Path, default=None, help="committed results (default leaderboard/results)")
    c.add_argument("--suites", type=Path, default=None)
    c.add_argument("--tolerance", type=options.TOLERANCE, default=None,
                   help="absolute score tolerance (default: the suite's)")
    c.set_defaults(func=handle_compare)


def _leaderboard_results() -> Path:
    from harness.settings import PROJECT_ROOT

    return PROJECT_ROOT / "leaderboard" / "results"


def handle_run(args: argparse.Namespace) -> int:
    from harness.results import format_score
    from harness.suites import get_suite, run_suite

    suite = get_suite(args.name, args.suites)
    results = run_suite(suite, args.output or _leaderboard_results(), device=args.device, progress=not args.quiet)
    for result in results:
        print(format_score(result))
    print(f"suite '{suite.name}': {len(results)} results")
    return 0


def handle_compare(args: argparse.Namespace) -> int:
    from harness.suites import compare, get_suite

    suite = get_suite(args.name, args.suites)
    tolerance = suite.tolerance if args.tolerance is None else args.tolerance
    problems = compare(args.rerun, args.against or _leaderboard_results(), tolerance)
    if problems:
        for problem in problems:
            print(f"differs: {problem}")
        print(f"error: {len(problems)} committed result(s) do not reproduce within ±{tolerance}; re-run "
              f"`harness suite run {suite.name}` and commit, or find the nondeterminism")
        return 1
    print(f"suite '{suite.name}' reproduces the committed results within ±{tolerance}")
    return 0
