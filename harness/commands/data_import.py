"""``harness data import wfdb|edf|csv|e4 SOURCE_DIR --labels labels.csv --name NAME``: your own recordings."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path

from harness.commands import command_group


def _positive(kind: type) -> Callable[[str], float | int]:
    """argparse type: a finite number above 0 (``--fs nan``, ``0``, ``-64``, ``inf`` are refused)."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} is not a positive finite number")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse


def register(data_subparsers: argparse._SubParsersAction) -> None:
    _, kinds = command_group(data_subparsers, "import",
                             "import your own recordings (WFDB, EDF/BDF, CSV/Parquet, Empatica E4) into a store",
                             "import_kind", metavar="FORMAT")

    def common(q: argparse.ArgumentParser, default_modality: str | None, *, channels: bool = True) -> None:
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
        if channels:
            q.add_argument("--channels", metavar="NAME[,NAME...]",
                           help="channels to import, any case; aliases MLII/II, ECG1/ECG, PLETH/PPG/BVP "
                                "(default: the channels every record has)")
        q.add_argument("--window-seconds", type=_positive(float), metavar="S",
                       help="cut each record into windows of S seconds (default: one segment per record)")
        q.add_argument("--hop-seconds", type=_positive(float), metavar="H",
                       help="start a window every H seconds (default: S, no overlap)")
        q.add_argument("--max-windows-per-record", type=_positive(int), metavar="K",
                       help="keep at most K windows per record, evenly spaced over it")
        q.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                       help="read records in N processes (the store is identical to --jobs 1)")

    rate_help = "the store's rate in Hz: records at another rate are resampled to it (polyphase)"
    w = kinds.add_parser("wfdb", help="a folder of WFDB records (.hea + .dat/.mat)")
    common(w, "ecg")
    w.add_argument("--fs", type=_positive(float), help=rate_help + " (default: the records' one rate)")
    w.set_defaults(func=handle_wfdb)

    e = kinds.add_parser("edf", help="a folder of EDF, EDF+ or BDF files (one record each)")
    common(e, None)
    e.add_argument("--fs", type=_positive(float), help=rate_help + " (default: the channels' one rate)")
    e.set_defaults(func=handle_edf)

    c = kinds.add_parser("csv", help="a folder of CSV or Parquet files, one column per channel")
    common(c, None)
    c.add_argument("--fs", type=_positive(float),
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
    f.add_argument("--fs", type=_positive(float), help=rate_help)
    f.set_defaults(func=handle_e4)


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
    print(f"imported {store.name}: {store.n_participants} participants, {store.n_segments} segments, "
          f"{store.modality} {len(store.channel_names)} ch ({', '.join(store.channel_names)}) @ {store.fs:g} Hz, "
          f"revision {store.revision} -> {Path(path).resolve()}")
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
                               units=args.units, **_segmenting(args)))


def handle_edf(args: argparse.Namespace) -> int:
    from harness.importing import import_edf

    return _report(import_edf(args.source_dir, args.labels, args.name, _output(args), units=args.units,
                              **_segmenting(args)))


def handle_e4(args: argparse.Namespace) -> int:
    from harness.importing import import_e4

    return _report(import_e4(args.source_dir, args.labels, args.name, _output(args), signal=args.signal,
                             units=args.units, **_segmenting(args)))


def handle_csv(args: argparse.Namespace) -> int:
    from harness.importing import import_csv

    columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None
    return _report(import_csv(args.source_dir, args.labels, args.name, _output(args), columns=columns,
                              delimiter=args.delimiter, decimal=args.decimal,
                              header=False if args.no_header else None, units=args.units or "a.u.",
                              **_segmenting(args)))
