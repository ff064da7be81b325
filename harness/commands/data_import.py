"""``harness data import wfdb|edf|csv|e4 SOURCE_DIR --labels labels.csv --name NAME``: your own recordings."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import options
from harness.commands import command_group


def register(data_subparsers: argparse._SubParsersAction) -> None:
    _, kinds = command_group(data_subparsers, "import",
                             "import your own recordings (WFDB, EDF/BDF, CSV/Parquet, Empatica E4) into a store",
                             "import_kind", metavar="FORMAT")

    def common(q: argparse.ArgumentParser, default_modality: str | None, *, channels: bool = True) -> None:
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
        if channels:
            q.add_argument("--channels", metavar="NAME[,NAME...]",
                           help="channels to import, any case; aliases MLII/II, ECG1/ECG, PLETH/PPG/BVP "
                                "(default: the channels every record has)")
        q.add_argument("--window-seconds", type=options.SECONDS, metavar="S",
                       help="cut each record into windows of S seconds (default: one segment per record)")
        q.add_argument("--hop-seconds", type=options.SECONDS, metavar="H",
                       help="start a window every H seconds (default: S, no overlap)")
        q.add_argument("--max-windows-per-record", type=options.WINDOWS, metavar="K",
                       help="keep at most K windows per record, evenly spaced over it")
        q.add_argument("--jobs", type=options.JOBS, default=1, metavar="N",
                       help="read records in N processes (the store is identical to --jobs 1)")

    rate_help = "the store's rate in Hz: records at another rate are resampled to it (polyphase)"
    w = kinds.add_parser("wfdb", help="a folder of WFDB records (.hea + .dat/.mat)")
    common(w, "ecg")
    w.add_argument("--fs", type=options.RATE, help=rate_help + " (default: the records' one rate)")
    w.set_defaults(func=handle_wfdb)

    e = kinds.add_parser("edf", help="a folder of EDF, EDF+ or BDF files (one record each)")
    common(e, None)
    e.add_argument("--fs", type=options.RATE, help=rate_help + " (default: the channels' one rate)")
    e.set_defaults(func=handle_edf)

    c = kinds.add_parser("csv", help="a folder of CSV or Parquet files, one column per channel")
    common(c, None)
    c.add_argument("--fs", type=options.RATE,
                   help="rate in Hz of files without a time or rate column; files whose time column gives "
                        "another rate are resampled to it")
    c.add_argument("--columns", help="comma-separated channel columns (default: all but a time/rate column)")
    c.add_argument("--delimiter", default=",", help="field separator (default ','; ';' for decimal-comma files)")
    c.add_argument("--decimal", default=".", choices=(".", ","), help="decimal mark (default '.')")
    c.add_argument("--no-header", action="store_true",
                   help="the first line is data (default: detected; a first line of numbers is data)")
    c.set_defaults(func=handle_csv)

    f = kinds.add_parser("e4", help="Empatica E4 exports: one folder per participant (BVP.csv, ACC.csv, ...)")
    common(f, "ppg", channels=False)
    f.add_argument("--signal", help="which file: BVP (default for ppg), ACC (default for acc), EDA, TEMP, HR")
    f.add_argument("--fs", type=options.RATE, help=rate_help)
    f.set_defaults(func=handle_e4)


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
    print(f"imported {store.name}: {store.n_participants} participants, {store.n_segments} segments, "
          f"{store.modality} {len(store.channel_names)} ch ({', '.join(store.channel_names)}) @ {store.fs:g} Hz, "
          f"revision {store.revision} -> {Path(path).resolve()}")
    notice = stale_notice(getattr(args, "replaced", None), store.revision)
    if notice:
        print(f"warning: {notice}", file=sys.stderr)
    return 0


def _segmenting(args: argparse.Namespace) -> dict:
    channels = getattr(args, "channels", None)
    return {"window_seconds": args.window_seconds, "hop_seconds": args.hop_seconds,
            "max_windows": args.max_windows_per_record, "jobs": args.jobs, "modality": args.modality,
            "license": args.license, "citation": args.citation, "fs": args.fs,
            **({"channels": _channel_list(channels)} if channels is not None else {})}


def _channel_list(text: str) -> list[str]:
    from harness.importing.channels import parse_request

    return parse_request(text) or []


def handle_wfdb(args: argparse.Namespace) -> int:
    from harness.importing import import_wfdb

    return _report(import_wfdb(args.source_dir, args.labels, args.name, _output(args), resample=True,
                               units=args.units, **_segmenting(args)), args)


def handle_edf(args: argparse.Namespace) -> int:
    from harness.importing import import_edf

    return _report(import_edf(args.source_dir, args.labels, args.name, _output(args), units=args.units,
                              **_segmenting(args)), args)


def handle_e4(args: argparse.Namespace) -> int:
    from harness.importing import import_e4

    return _report(import_e4(args.source_dir, args.labels, args.name, _output(args), signal=args.signal,
                             units=args.units, **_segmenting(args)), args)


def handle_csv(args: argparse.Namespace) -> int:
    from harness.importing import import_csv

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    return _report(import_csv(args.source_dir, args.labels, args.name, _output(args), columns=columns,
                              delimiter=args.delimiter, decimal=args.decimal,
                              header=False if args.no_header else None, units=args.units or "a.u.",
                              **_segmenting(args)), args)
