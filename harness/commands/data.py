"""``harness data build|validate|info|list`` (and ``import``/``fetch`` from their own modules)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

from harness.commands import command_group


def register(sub: argparse._SubParsersAction) -> None:
    _, data_sub = command_group(sub, "data", "build, validate, inspect and list signal stores", "data_command")

    b = data_sub.add_parser("build", help="build a dataset into a store")
    b.add_argument("name")
    b.add_argument("--source", type=Path, help="official archive or folder (real datasets)")
    b.add_argument("--participants", type=int, help="participant count (synthetic datasets)")
    b.add_argument("--segments-per-participant", type=int, help="segments per participant (synthetic)")
    b.add_argument("--seed", type=int, default=None,
                   help="generator seed (synthetic datasets; default: the draw the dataset's spec names, "
                        "so two specs over one generator are two independent cohorts)")
    b.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="builder option KEY=VALUE, repeatable (the keys are the builder's own, e.g. fs=500)")
    b.add_argument("--output", help="store path or URL, e.g. s3://bucket/x (default HARNESS_HOME/stores/NAME)")
    b.add_argument("--data-url", help="object-storage store root, e.g. s3://bucket/stores (env HARNESS_DATA_URL)")
    b.add_argument("--quiet", action="store_true")
    b.set_defaults(func=handle_build)

    v = data_sub.add_parser("validate", help="check a store and say what is wrong")
    v.add_argument("store", help="store path or dataset name")
    v.add_argument("--quick", action="store_true", help="metadata only; do not read every chunk")
    v.set_defaults(func=handle_validate)

    i = data_sub.add_parser("info", help="describe a store")
    i.add_argument("store", help="store path or dataset name")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=handle_info)

    ls = data_sub.add_parser("list", help="datasets that can be built, and which are built")
    ls.set_defaults(func=handle_list)

    for module_name in ("data_import", "data_fetch"):
        try:
            module = importlib.import_module(f"harness.commands.{module_name}")
        except ModuleNotFoundError:
            continue
        module.register(data_sub)


def _resolve_path(name_or_path: str) -> Path | str:
    """A path or URL (anything with a ``/``, or an existing folder) as given, else the store of that name."""
    from harness.catalog import store_path
    from harness.location import Location

    if "/" in name_or_path or Path(name_or_path).exists():
        return Location.parse(name_or_path).target
    return store_path(name_or_path)


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
    from harness.catalog import build_dataset
    from harness.store import open_store

    if args.data_url:
        os.environ["HARNESS_DATA_URL"] = args.data_url
    options = parse_options(args.option)
    if args.segments_per_participant is not None:
        options["segments_per_participant"] = args.segments_per_participant
    path = build_dataset(args.name, source=args.source, participants=args.participants, seed=args.seed,
                         options=options, output=args.output, progress=not args.quiet)
    store = open_store(path)
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
    from harness.store import open_store

    store = open_store(_resolve_path(args.store))
    info = store.describe()
    table = store.participants
    info["labels"] = {
        name: {"kind": store.attrs.get("label_kinds", {}).get(name), "present": int(table[name].notna().sum()),
               "mean": None if table[name].isna().all() else round(float(table[name].mean()), 4)}
        for name in store.labels}
    info["attrs"] = {k: v for k, v in store.attrs.items() if k not in ("labels", "label_kinds")}
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for key in ("name", "modality", "fs", "channels", "samples", "segments", "participants", "revision",
                "source", "license", "path"):
        print(f"{key:>12}: {info[key]}")
    print(f"{'build':>12}: {json.dumps(info['build'])}")
    for name, meta in info["labels"].items():
        print(f"{'label':>12}: {name} ({meta['kind']}, {meta['present']} present, mean {meta['mean']})")
    return 0


def handle_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.catalog import store_exists, store_path
    from harness.plugins import get_host
    from harness.settings import data_dir

    rows = []
    for entry in get_host().datasets.entries():
        spec = entry.load()
        built = store_exists(store_path(entry.name))
        if spec.synthetic:
            source = "synthetic (built on first use)"
        elif spec.default_source and (data_dir() / spec.default_source).exists():
            source = f"local: {data_dir() / spec.default_source}"
        else:
            source = f"`harness data fetch {entry.name}`"
        rows.append([entry.name, spec.modality, "yes" if built else "no", source, entry.provider])
    print(tabulate(rows, headers=["dataset", "modality", "built", "source", "plugin"], tablefmt="simple"))
    return 0
