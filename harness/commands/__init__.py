"""One module per ``harness`` subcommand; each exposes ``register(subparsers)``."""

from __future__ import annotations

import argparse


def split_names(value: str) -> list[str]:
    """``"a,b, c"`` -> ``["a", "b", "c"]`` (comma-separated lists on the command line)."""
    return [item.strip() for item in value.split(",") if item.strip()]


def command_group(sub: argparse._SubParsersAction, name: str, help: str,
                  dest: str, metavar: str = "ACTION") -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """A subcommand with its own actions (``harness data build``...); alone it prints its help, exit 2."""
    parser = sub.add_parser(name, help=help)
    actions = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=type(parser))
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    return parser, actions
