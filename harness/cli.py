"""The ``harness`` command line.

Each subcommand lives in its own module under :mod:`harness.commands` and exposes
``register(subparsers)``; handlers return an exit code. Every :class:`~harness.errors.HarnessError`
becomes one line on stderr and its exit code (2 for bad input, 1 for runtime faults); ``--debug``
shows the full traceback instead. A reader that stops early (``harness data list | head -2``) ends the
command quietly, as it ends any command-line tool: no message, exit 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import argparse
import importlib
import os
import select
import sys
import traceback
from collections.abc import Sequence

from harness import __version__
from harness.errors import HarnessError, UsageError

EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a tool that SIGPIPE ended
COMMAND_MODULES = ("run", "list", "data", "plugins", "leaderboard", "compare", "suite", "pretrain", "weights")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}", f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harness", description="Benchmark harness for wearable biosignal encoders.")
    parser.add_argument("--version", action="version", version=f"biosignal-harness {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    parser.add_argument("--strict-plugins", action="store_true", default=None,
                        help="fail when a plugin cannot be loaded (env HARNESS_STRICT_PLUGINS=1)")
    parser.add_argument("--disable-plugin", action="append", default=None, metavar="NAME",
                        help="skip a plugin by name (repeatable; env HARNESS_DISABLE_PLUGINS=a,b)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"harness.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"harness.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("HARNESS_DEBUG") == "1"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        from harness.plugins import get_host

        get_host(disabled=args.disable_plugin, strict=args.strict_plugins)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not as a warning at interpreter exit
        return code
    except HarnessError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted; finished results are kept, run the same command again to resume",
              file=sys.stderr)
        return 130
    except MemoryError:
        if debug:
            traceback.print_exc()
        print("error: out of memory; use a smaller --batch-size or fewer participants", file=sys.stderr)
        return 1
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
            return _quiet_broken_pipe()
        if debug:
            traceback.print_exc()
        print(f"error: {exc.strerror or exc} ({exc.filename or 'I/O'}); check the path and free space",
              file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line, the traceback on request
        if debug:
            traceback.print_exc()
        print(f"error: internal error {type(exc).__name__}: {exc}; re-run with --debug for the traceback "
              "and report it", file=sys.stderr)
        return 1


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (``| head``), as opposed to a broken socket
    somewhere else (object storage): only the first ends the command quietly."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _quiet_broken_pipe() -> int:
    """End like a tool that SIGPIPE stopped: point stdout at /dev/null so the exit flush stays silent."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
