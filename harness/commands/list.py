"""``harness list KIND``: what the installed plugins provide, read from their specs (no model code runs)."""

from __future__ import annotations

import argparse
from typing import Any

from tabulate import tabulate

KINDS = ("encoders", "tasks", "datasets", "augmentations", "losses", "pair_policies")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("list", help="list encoders, tasks, datasets, augmentations, losses, pair policies")
    p.add_argument("kind", choices=(*KINDS, "pair-policies"))
    p.set_defaults(func=handle)


def modalities_of(spec: Any) -> tuple[str, ...]:
    """The modalities a spec declares (a dataset has one; empty = any)."""
    if hasattr(spec, "modality"):
        return (spec.modality,)
    return tuple(getattr(spec, "modalities", ()) or ())


def describe(kind: str, spec: Any) -> str:
    """One line about an entry, from its spec."""
    if kind == "encoders":
        facts = [spec.kind]
        if spec.embedding_dim:
            facts.append(f"{spec.embedding_dim}-d")
        if spec.recipe is not None:
            facts.append("pretrainable")
        return f"{', '.join(facts)}: {spec.description}"
    if kind == "tasks":
        return f"{spec.kind}, {spec.metric} ({'higher' if spec.higher_is_better else 'lower'} is better): " \
               f"{spec.description}"
    if kind == "datasets":
        return f"{'synthetic' if spec.synthetic else 'real'}: {spec.description}"
    if kind == "losses":
        return f"consumes {spec.consumes}: {spec.description}"
    return str(spec.description)


def handle(args: argparse.Namespace) -> int:
    from harness.plugins import get_host

    kind = args.kind.replace("-", "_")
    registry = get_host().registries[kind]
    rows = [[entry.name, "/".join(modalities_of(entry.spec)) or "any", entry.provider, describe(kind, entry.spec)]
            for entry in registry.entries()]
    print(tabulate(rows, headers=["name", "modality", "plugin", "description"], tablefmt="simple"))
    return 0
