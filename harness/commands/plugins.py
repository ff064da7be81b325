"""``harness plugins``: every plugin, its version, and what it registers (or why it failed)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plugins", help="list plugins with versions and what they register")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from harness.plugins import get_host

    host = get_host()
    infos = sorted(host.plugins.values(), key=lambda i: i.name)
    if args.json:
        print(json.dumps([vars(i) for i in infos], indent=2))
        return 0
    rows = []
    for info in infos:
        registers = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in info.registers.items())
        status = "ok" if info.error is None else info.error
        rows.append([info.name, info.distribution or "-", info.version or "-", status, registers or "-"])
    print(tabulate(rows, headers=["plugin", "package", "version", "status", "registers"], tablefmt="simple",
                   maxcolwidths=[None, None, None, 40, 70]))
    return 0
