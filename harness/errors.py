"""Errors a user can act on.

Every error the CLI shows is one line naming the problem and the fix. Exit code 2 means the input or
the command was wrong; 1 means something failed while running.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base class: a problem and, where known, the fix."""

    exit_code = 2

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem.rstrip(".")
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.problem}; {self.fix}" if self.fix else self.problem


class UsageError(HarnessError):
    """The command line named something that does not exist or does not fit."""


class DataError(HarnessError):
    """A store, source file, label table or checkpoint is missing, malformed or unsuitable."""


class PluginError(HarnessError):
    """A plugin failed to load, register, or honour its contract."""

    exit_code = 1


class RuntimeFault(HarnessError):
    """Something failed while running (disk full, out of memory, ...)."""

    exit_code = 1
