#!/usr/bin/env python
"""The long fuzzing pass: every property in tests/fuzz under the ``long`` hypothesis profile, for a
time budget shared out between them (default 10 minutes in all).

    .venv/bin/python scripts/fuzz.py [--minutes 10] [--seed N] [-k EXPR]

Each property runs in its own pytest process until its share of the time is spent; one that is
still running then has found nothing and is stopped (that is a pass). A failure prints hypothesis's
shrunk example and the command exits 1; the example is also kept in ``.hypothesis/`` so the bounded
run in ``pytest -q`` replays it. Turn each one into an explicit ``@example`` regression test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _properties(keyword: str | None) -> list[str]:
    cmd = [sys.executable, "-m", "pytest", "tests/fuzz", "--collect-only", "-q", "-p", "no:cacheprovider"]
    listed = subprocess.run(cmd + (["-k", keyword] if keyword else []), cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    return [line for line in listed.splitlines() if "::" in line and "regressions" not in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    parser.add_argument("-k", dest="keyword", default=None, help="only properties matching this pytest -k")
    args = parser.parse_args()
    nodes = _properties(args.keyword)
    if not nodes:
        print("error: no fuzz properties collected; check -k", file=sys.stderr)
        return 2
    deadline = time.monotonic() + args.minutes * 60
    env = {**os.environ, "HARNESS_FUZZ_EXAMPLES": "100000000"}
    failed = []
    for i, node in enumerate(nodes):
        share = max(deadline - time.monotonic(), 1.0) / (len(nodes) - i)  # time a quick one left over is shared
        cmd = [sys.executable, "-m", "pytest", node, "-q", "-x", "-p", "no:cacheprovider",
               "--hypothesis-profile", "long", "--hypothesis-show-statistics"]
        if args.seed is not None:
            cmd.append(f"--hypothesis-seed={args.seed}")
        start = time.monotonic()
        try:
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=share)
        except subprocess.TimeoutExpired:
            print(f"ok    {node}: no failure in {share:.0f} s")
            continue
        took = time.monotonic() - start
        if done.returncode == 0:
            print(f"ok    {node}: every example passed ({took:.0f} s)")
        else:
            failed.append(node)
            print(f"FAIL  {node} after {took:.0f} s\n{done.stdout[-6000:]}{done.stderr[-2000:]}")
    print(f"{len(nodes) - len(failed)} of {len(nodes)} properties found nothing in {args.minutes:g} min")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
