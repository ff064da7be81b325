"""``harness leaderboard [--check]``: regenerate (or verify) the leaderboard files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.settings import PROJECT_ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="turn result JSONs into leaderboard tables")
    p.add_argument("--results", type=Path, action="append", default=None, metavar="DIR",
                   help="result folder (default: results/ in the output folder); repeat it to merge folders, "
                        "e.g. the committed results and a submission's, under the same checks")
    p.add_argument("--out", type=Path, default=None, help="output folder (default leaderboard/)")
    p.add_argument("--suites", type=Path, default=None,
                   help="suites file whose `paired` encoder pairs get head-to-head tables "
                        "(default: suites.toml in the output folder, when present)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when the generated files are stale, 2 when a dataset mixes protocols")
    p.set_defaults(func=handle)


def _default_root() -> Path:
    cwd = Path.cwd() / "leaderboard"
    return cwd if cwd.is_dir() else PROJECT_ROOT / "leaderboard"


def _warn(line: str) -> None:
    print(f"warning: {line}", file=sys.stderr)


def handle(args: argparse.Namespace) -> int:
    """Mixed protocols in one dataset are split and flagged with a warning; ``--check`` (what CI runs
    on the committed board) refuses them, since a published table must hold one protocol."""
    from harness import leaderboard
    from harness.errors import DataError

    out = args.out or _default_root()
    folders = args.results or [out / "results"]
    for results in folders:
        if not results.is_dir():
            raise DataError(f"no results folder at {results}", "pass --results or run `harness run --output ...`")
    from harness.suites import load_suites, paired_encoders

    suites = args.suites or (out / "suites.toml")
    if args.suites is not None and not suites.is_file():
        raise DataError(f"no suites file at {suites}", "pass the path of a suites TOML file")
    pairs = paired_encoders(suites) if suites.is_file() else []
    suite_datasets = {name: s.datasets for name, s in load_suites(suites).items()} if suites.is_file() else {}
    files = leaderboard.generate(folders, with_plots=not args.check, pairs=pairs, suites=suite_datasets,
                                 out_dir=out, strict=args.check, warn=_warn)
    if args.check:
        stale = leaderboard.stale_files(out, files)
        if stale:
            print(f"error: leaderboard is stale ({', '.join(stale)} differ from {' + '.join(map(str, folders))}); "
                  "run `harness leaderboard` and commit the result")
            return 1
        print(f"leaderboard is current ({len(files)} files match {' + '.join(map(str, folders))})")
        return 0
    for path in leaderboard.write(out, files):
        print(f"wrote {path}")
    return 0
