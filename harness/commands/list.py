"""``harness list KIND``: what the installed plugins provide."""

from __future__ import annotations

import argparse

from tabulate import tabulate

KINDS = ("encoders", "tasks", "datasets", "augmentations", "losses", "pair_policies")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list encoders, tasks, datasets, augmentations, losses")
    p.add_argument("kind", choices=(*KINDS, "pair-policies"))
    p.set_defaults(func=handle)


def _describe(kind: str, entry) -> str:
    meta = entry.metadata
    if kind == "tasks":
        task = entry.load()
        return f"{task.kind}, {task.metric} ({'higher' if task.higher_is_better else 'lower'} is better): " \
               f"{task.description}"
    if kind == "datasets":
        spec = entry.load()
        return f"{spec.modality}{' synthetic' if spec.synthetic else ''}: {spec.description}"
    return str(meta.get("description", ""))


def handle(args: argparse.Namespace) -> int:
    from harness.plugins import get_host

    kind = args.kind.replace("-", "_")
    registry = get_host().registries[kind]
    rows = []
    for entry in registry.entries():
        mods = entry.metadata.get("modalities") or ()
        rows.append([entry.name, "/".join(mods) or "any", entry.provider, _describe(kind, entry)])
    print(tabulate(rows, headers=["name", "modality", "plugin", "description"], tablefmt="simple"))
    return 0
