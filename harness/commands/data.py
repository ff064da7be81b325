"""``harness data build|validate|info|list`` (and ``import``/``fetch`` from their own modules)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from harness import options
from harness.commands import command_group


def register(sub: argparse._SubParsersAction) -> None:
    _, data_sub = command_group(sub, "data", "build, validate, inspect and list signal stores", "data_command")

    b = data_sub.add_parser("build", help="build a dataset into a store")
    b.add_argument("name")
    b.add_argument("--source", type=options.absolute_path, help="official archive or folder (real datasets)")
    b.add_argument("--participants", type=options.PARTICIPANTS, help="participant count (synthetic datasets)")
    b.add_argument("--segments-per-participant", type=options.SEGMENTS_PER_PARTICIPANT,
                   help="segments per participant (synthetic)")
    b.add_argument("--seed", type=options.SEED, default=None,
                   help="generator seed (synthetic datasets; default: the draw the dataset's spec names, "
                        "so two specs over one generator are two independent cohorts)")
    b.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="builder option KEY=VALUE, repeatable (the keys are the builder's own, e.g. fs=500)")
    b.add_argument("--output", help="store path or URL, e.g. s3://bucket/x (default HARNESS_HOME/stores/NAME)")
    b.add_argument("--data-url", help="object-storage store root, e.g. s3://bucket/stores (env HARNESS_DATA_URL)")
    b.add_argument("--force", action="store_true",
                   help="replace an existing store (results that recorded its revision become stale)")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=handle_build)

    v = data_sub.add_parser("validate", help="check a store and say what is wrong")
    v.add_argument("store", help="dataset name, or a store path (with a '/' or ending in .zarr) or URL")
    v.add_argument("--quick", action="store_true", help="metadata only; do not read every chunk")
    v.set_defaults(func=handle_validate)

    i = data_sub.add_parser("info", help="describe a store")
    i.add_argument("store", help="dataset name, or a store path (with a '/' or ending in .zarr) or URL")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=handle_info)

    ls = data_sub.add_parser("list", help="datasets that can be built, which are built, and imported stores")
    ls.set_defaults(func=handle_list)

    for module_name in ("data_import", "data_fetch"):
        try:
            module = importlib.import_module(f"harness.commands.{module_name}")
        except ModuleNotFoundError:
            continue
        module.register(data_sub)


def _resolve_path(name_or_path: str) -> Path | str:
    """The store a name or path means, by the catalog's one rule (a cwd folder never shadows a name)."""
    from harness.catalog import resolve_dataset

    return resolve_dataset(name_or_path).location.target


def shown_source(source: Any, *, is_path: bool) -> str:
    """A store's recorded source for display, a relative local path made absolute.

    Older imports recorded the source folder as typed; it is resolved against the working directory
    when it exists there, else marked as relative so nobody takes it for a path from here. URLs and
    descriptive text (``is_path`` false: a builder's release URL) are shown as recorded.
    """
    text = str(source or "")
    if not text or not is_path or "://" in text or Path(text).is_absolute():
        return text
    candidate = Path(text)
    return str(candidate.absolute()) if candidate.exists() else f"{text} (relative to where it was imported)"


def parse_options(pairs: list[str]) -> dict[str, object]:
    """``["fs=500", "name=x"]`` -> ``{"fs": 500, "name": "x"}`` (numbers parsed, the rest kept as text)."""
    from harness.errors import UsageError

    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option {pair!r} is not KEY=VALUE", "write it like --option fs=500")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def handle_build(args: argparse.Namespace) -> int:
    from harness.catalog import build_dataset, store_location
    from harness.location import Location
    from harness.replacement import existing_store, stale_notice
    from harness.store import open_store

    builder_options = parse_options(args.option)
    if args.segments_per_participant is not None:
        builder_options["segments_per_participant"] = args.segments_per_participant
    location = Location.parse(args.output) if args.output else store_location(args.name, args.data_url)
    before = existing_store(location) if args.force else None
    path = build_dataset(args.name, source=args.source, participants=args.participants, seed=args.seed,
                         options=builder_options, output=location.target, progress=not args.quiet,
                         replace=args.force, data_root=args.data_url)
    store = open_store(path)
    notice = stale_notice(before, store.revision)
    if notice:
        print(f"warning: {notice}", file=sys.stderr)
    print(f"built {store.name}: {store.n_participants} participants, {store.n_segments} segments, "
          f"{store.modality} {len(store.channel_names)} ch @ {store.fs:g} Hz, revision {store.revision} -> {path}")
    return 0


def handle_validate(args: argparse.Namespace) -> int:
    from harness.store import validate_store

    path = _resolve_path(args.store)
    problems = validate_store(path, deep=not args.quick)
    if problems:
        for problem in problems:
            print(f"problem: {problem}")
        print(f"error: store {path} is not valid ({len(problems)} problem(s)); rebuild it with "
              "`harness data build`", file=sys.stderr)
        return 2
    print(f"ok: {path} is a valid store")
    return 0


def handle_info(args: argparse.Namespace) -> int:
    import numpy as np

    from harness.store import open_store

    store = open_store(_resolve_path(args.store))
    info = store.describe()
    table = store.participants
    info["labels"] = {
        name: {"kind": store.attrs.get("label_kinds", {}).get(name), "present": int(table[name].notna().sum()),
               "mean": None if table[name].isna().all() else round(float(table[name].mean()), 4)}
        for name in store.labels}
    info["attrs"] = {k: v for k, v in store.attrs.items() if k not in ("labels", "label_kinds")}
    if store.segment_labels:  # window-level labels: kind, windows labelled, categories
        info["segment_labels"] = {
            name: {"kind": store.segment_label_kind(name),
                   "present": int(np.isfinite(store.segment_label(name)).sum()),
                   **({"categories": store.segment_label_categories(name)}
                      if store.segment_label_kind(name) == "categorical" else {})}
            for name in store.segment_labels}
    build = info.get("build") or {}
    imported = isinstance(build, dict) and "importer" in build
    info["source"] = shown_source(info["source"], is_path=imported)
    if imported and build.get("labels_csv"):
        info["build"] = {**build, "labels_csv": shown_source(build["labels_csv"], is_path=True)}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for key in ("name", "modality", "fs", "channels", "samples", "segments", "participants", "revision",
                "source", "license", "path"):
        print(f"{key:>12}: {info[key]}")
    print(f"{'build':>12}: {json.dumps(info['build'])}")
    for name, meta in info["labels"].items():
        print(f"{'label':>12}: {name} ({meta['kind']}, {meta['present']} present, mean {meta['mean']})")
    for name, meta in info.get("segment_labels", {}).items():
        cats = f", categories {', '.join(meta['categories'])}" if "categories" in meta else ""
        print(f"{'segment label':>12}: {name} ({meta['kind']}, {meta['present']} of {info['segments']} segments{cats})")
    return 0


def handle_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.catalog import store_exists, store_path
    from harness.plugins import get_host
    from harness.settings import data_dir, stores_dir

    rows = []
    host = get_host()
    for entry in host.datasets.entries():
        spec = entry.load()
        built = store_exists(store_path(entry.name))
        if spec.synthetic:
            source = "synthetic (built on first use)"
        elif spec.default_source and (data_dir() / spec.default_source).exists():
            source = f"local: {(data_dir() / spec.default_source).absolute()}"
        else:
            source = f"`harness data fetch {entry.name}`"
        rows.append([entry.name, spec.modality, "yes" if built else "no", source, entry.provider])
    rows += _imported_rows(stores_dir(), set(host.datasets.names()))
    print(tabulate(rows, headers=["dataset", "modality", "built", "source", "plugin"], tablefmt="simple"))
    return 0


def _imported_rows(root: Path, registered: set[str]) -> list[list[str]]:
    """One row per store under the store root that no registered dataset owns (imports, mostly)."""
    from harness.atomic import TMP_MARK
    from harness.errors import DataError
    from harness.store import open_store

    rows = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if folder.name in registered or TMP_MARK in folder.name or not folder.is_dir():
            continue
        try:
            store = open_store(folder)
        except DataError:
            rows.append([folder.name, "?", "unreadable", f"{folder.absolute()} (`harness data validate`)", "-"])
            continue
        importer = (store.attrs.get("build") or {}).get("importer")
        rows.append([folder.name, store.modality, "yes", shown_source(store.attrs.get("source"),
                                                                      is_path=importer is not None),
                     f"imported ({importer})" if importer else "-"])
    return rows
