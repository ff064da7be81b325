"""``harness compare A B --task T``: is encoder A better than B? A paired bootstrap on stored results."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import options
from harness.commands import split_names


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="paired comparison of two encoders' results (difference with a 95%% CI)")
    p.add_argument("first", help="encoder name")
    p.add_argument("second", help="encoder name")
    p.add_argument("--task", required=True, help="task name(s), comma-separated")
    p.add_argument("--dataset", default=None, help="dataset name (default: every dataset both were scored on)")
    p.add_argument("--results", type=Path, default=Path("results"),
                   help="result folder holding both encoders' results (default ./results)")
    p.add_argument("--bootstrap", type=options.COMPARE_BOOTSTRAP, default=1000,
                   help="paired bootstrap resamples (100 or more)")
    p.add_argument("--seed", type=options.SEED, default=0, help=f"bootstrap seed, 0..{options.SEED_MAX}")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from harness.errors import UsageError
    from harness.leaderboard import paired_comparisons
    from harness.results import load_results

    if not args.results.is_dir():
        raise UsageError(f"no results folder at {args.results}", "pass --results DIR (where `harness run` wrote)")
    tasks = split_names(args.task)
    chosen = [r for r in load_results(args.results)
              if r.task.name in tasks and args.dataset in (None, r.dataset.name)]
    rows = paired_comparisons(chosen, [(args.first, args.second)], n=args.bootstrap, seed=args.seed)
    if not rows:
        raise UsageError(f"no results in {args.results} score both '{args.first}' and '{args.second}' on "
                         f"{', '.join(tasks)}", "run both encoders on the task with `harness run --output DIR`")
    for d in rows:
        verdict = "no clear difference" if d["verdict"] == "tie" else f"{d['verdict']} is better"
        print(f"{d['dataset']} · {d['task']} · {d['metric'].upper()}: {d['a']} {d['score_a']:.3f} vs {d['b']} "
              f"{d['score_b']:.3f}; difference {d['difference']:+.3f} "
              f"[95% CI {d['ci_low']:+.3f}, {d['ci_high']:+.3f}] (n={d['participants']}) -> {verdict}")
    return 0
