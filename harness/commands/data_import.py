"""``harness data import wfdb|csv SOURCE_DIR --labels labels.csv --name NAME``: your own recordings."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import command_group


def register(data_subparsers: argparse._SubParsersAction) -> None:
    _, kinds = command_group(data_subparsers, "import", "import your own recordings (WFDB or CSV) into a store",
                             "import_kind", metavar="FORMAT")

    def common(q: argparse.ArgumentParser, default_modality: str | None) -> None:
        q.add_argument("source_dir", type=Path, metavar="SOURCE_DIR", help="folder with one file per record")
        q.add_argument("--labels", type=Path, required=True,
                       help="labels.csv: record, optional participant_id/t_start, label columns")
        q.add_argument("--name", required=True, help="dataset name (store goes to HARNESS_HOME/stores/NAME)")
        q.add_argument("--modality", default=default_modality, required=default_modality is None,
                       help="a modality some installed plugin declares (ppg, ecg, ...)")
        q.add_argument("--output", type=Path, help="store path (default HARNESS_HOME/stores/NAME)")
        q.add_argument("--units", help="physical units of the samples")
        q.add_argument("--license", default="user-supplied", help="license recorded in the store")
        q.add_argument("--citation", default="", help="citation recorded in the store")

    w = kinds.add_parser("wfdb", help="a folder of WFDB records (.hea + .dat/.mat)")
    common(w, "ecg")
    w.add_argument("--fs", type=float, help="required sampling rate (records at another rate are an error)")
    w.set_defaults(func=handle_wfdb)

    c = kinds.add_parser("csv", help="a folder of CSV files, one column per channel (time column ignored)")
    common(c, None)
    c.add_argument("--fs", type=float, required=True, help="sampling rate in Hz")
    c.add_argument("--columns", help="comma-separated channel columns (default: all but a time column)")
    c.add_argument("--delimiter", default=",")
    c.set_defaults(func=handle_csv)


def _output(args: argparse.Namespace) -> Path:
    from harness.errors import UsageError
    from harness.settings import stores_dir

    if not args.name or "/" in args.name or args.name.startswith("."):
        raise UsageError(f"--name {args.name!r} is not a usable dataset name",
                         "use letters, digits, '-' or '_' (it names the store folder)")
    return args.output or stores_dir() / args.name


def _report(path: Path) -> int:
    from harness.store import open_store

    store = open_store(path)
    print(f"imported {store.name}: {store.n_participants} participants, {store.n_segments} records, "
          f"{store.modality} {len(store.channel_names)} ch @ {store.fs:g} Hz, "
          f"revision {store.revision} -> {path}")
    return 0


def handle_wfdb(args: argparse.Namespace) -> int:
    from harness.importers import import_wfdb

    path = import_wfdb(args.source_dir, args.labels, args.name, _output(args), fs=args.fs,
                       modality=args.modality, units=args.units, license=args.license, citation=args.citation)
    return _report(path)


def handle_csv(args: argparse.Namespace) -> int:
    from harness.importers import import_csv

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    path = import_csv(args.source_dir, args.labels, args.name, _output(args), fs=args.fs,
                      modality=args.modality, columns=columns, delimiter=args.delimiter,
                      units=args.units or "a.u.", license=args.license, citation=args.citation)
    return _report(path)
