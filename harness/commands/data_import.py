"""``harness data import wfdb|csv SOURCE_DIR --labels labels.csv --name NAME``: your own recordings."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import options
from harness.commands import command_group


def register(data_subparsers: argparse._SubParsersAction) -> None:
    _, kinds = command_group(data_subparsers, "import", "import your own recordings (WFDB or CSV) into a store",
                             "import_kind", metavar="FORMAT")

    def common(q: argparse.ArgumentParser, default_modality: str | None) -> None:
        q.add_argument("source_dir", type=options.absolute_path, metavar="SOURCE_DIR",
                       help="folder with one file per record")
        q.add_argument("--labels", type=options.absolute_path, required=True,
                       help="labels.csv: record, optional participant_id/t_start, label columns")
        q.add_argument("--name", type=options.dataset_name, required=True,
                       help="dataset name (store goes to HARNESS_HOME/stores/NAME); not a registered dataset's")
        q.add_argument("--modality", default=default_modality, required=default_modality is None,
                       help="a modality some installed plugin declares (ppg, ecg, ...)")
        q.add_argument("--output", type=options.absolute_path, help="store path (default HARNESS_HOME/stores/NAME)")
        q.add_argument("--force", action="store_true",
                       help="replace an existing store (results that recorded its revision become stale)")
        q.add_argument("--units", help="physical units of the samples")
        q.add_argument("--license", default="user-supplied", help="license recorded in the store")
        q.add_argument("--citation", default="", help="citation recorded in the store")

    w = kinds.add_parser("wfdb", help="a folder of WFDB records (.hea + .dat/.mat)")
    common(w, "ecg")
    w.add_argument("--fs", type=options.RATE, help="required sampling rate (records at another rate are an error)")
    w.set_defaults(func=handle_wfdb)

    c = kinds.add_parser("csv", help="a folder of CSV files, one column per channel (time column ignored)")
    common(c, None)
    c.add_argument("--fs", type=options.RATE, required=True, help="sampling rate in Hz")
    c.add_argument("--columns", help="comma-separated channel columns (default: all but a time column)")
    c.add_argument("--delimiter", default=",")
    c.set_defaults(func=handle_csv)


def _output(args: argparse.Namespace) -> Path:
    """The store's target, after the name rules: a registered dataset's name is refused, and an existing
    store is replaced only with ``--force`` (what was there is kept for :func:`_report`'s notice)."""
    from harness.errors import UsageError
    from harness.location import Location
    from harness.plugins import get_host
    from harness.replacement import existing_store, refuse_replacing
    from harness.settings import stores_dir

    datasets = get_host().datasets
    if args.name in datasets:
        raise UsageError(f"--name '{args.name}' is the registered dataset of plugin "
                         f"'{datasets.get(args.name).provider}' (runs that name it would use your import)",
                         "choose another --name for your recordings")
    out: Path = args.output or stores_dir() / args.name
    location = Location.parse(out)
    if args.force:
        args.replaced = existing_store(location)
    else:
        refuse_replacing(location, f"data import {args.import_kind}", "--name or --output")
    return out


def _report(path: Path, args: argparse.Namespace) -> int:
    import sys

    from harness.replacement import stale_notice
    from harness.store import open_store

    store = open_store(path)
    print(f"imported {store.name}: {store.n_participants} participants, {store.n_segments} records, "
          f"{store.modality} {len(store.channel_names)} ch @ {store.fs:g} Hz, "
          f"revision {store.revision} -> {path}")
    notice = stale_notice(getattr(args, "replaced", None), store.revision)
    if notice:
        print(f"warning: {notice}", file=sys.stderr)
    return 0


def handle_wfdb(args: argparse.Namespace) -> int:
    from harness.importers import import_wfdb

    path = import_wfdb(args.source_dir, args.labels, args.name, _output(args), fs=args.fs,
                       modality=args.modality, units=args.units, license=args.license, citation=args.citation)
    return _report(path, args)


def handle_csv(args: argparse.Namespace) -> int:
    from harness.importers import import_csv

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    path = import_csv(args.source_dir, args.labels, args.name, _output(args), fs=args.fs,
                      modality=args.modality, columns=columns, delimiter=args.delimiter,
                      units=args.units or "a.u.", license=args.license, citation=args.citation)
    return _report(path, args)
