"""Typed command-line values, checked where they enter: argparse ``type=`` validators.

Every numeric or named option of every subcommand goes through one of these, so a value outside its
range is one usage line (exit 2) that states the accepted range, instead of reaching numpy or
scikit-learn and surfacing as an internal error. argparse words it as
``harness run: argument --seed: -1 is too small: use an integer in 0..2147483647``.

Seeds: scikit-learn and numpy accept seeds in ``0..2**32-1``; the probe derives further seeds by adding
small offsets (``seed + fold`` for the inner CV, ``seed + 1000 + i`` for the bootstrap), so the accepted
range stops at ``2**31 - 1`` and every derived seed stays valid.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from harness.errors import UsageError
from harness.naming import NAME_RULE, name_problem

SEED_MAX = 2**31 - 1


class _Checked:
    """The same range for callers that are not argparse (the Python API, suite files): a usage error."""

    def __call__(self, text: str) -> object:
        raise NotImplementedError

    def check(self, value: object, name: str) -> None:
        try:
            self(str(value))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"{name} {value!r} is refused ({exc})", f"pass a valid {name}") from None


class Integer(_Checked):
    """An integer in ``low..high`` (``high`` ``None`` = no upper bound)."""

    def __init__(self, low: int, high: int | None = None) -> None:
        self.low, self.high = low, high
        self.__name__ = "int"  # argparse names the type in its messages

    @property
    def accepted(self) -> str:
        return f"an integer in {self.low}..{self.high}" if self.high is not None else f"an integer >= {self.low}"

    def __call__(self, text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r} (use {self.accepted})") from None
        if value < self.low:
            raise argparse.ArgumentTypeError(f"{value} is too small: use {self.accepted}")
        if self.high is not None and value > self.high:
            raise argparse.ArgumentTypeError(f"{value} is too large: use {self.accepted}")
        return value


class Number(_Checked):
    """A finite float in an interval; ``low_open``/``high_open`` exclude the end points."""

    def __init__(self, low: float, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False, unit: str = "") -> None:
        self.low, self.high, self.low_open, self.high_open, self.unit = low, high, low_open, high_open, unit
        self.__name__ = "float"

    @property
    def accepted(self) -> str:
        what = f"a finite number of {self.unit}" if self.unit else "a finite number"
        if self.high is None:
            return f"{what} {'>' if self.low_open else '>='} {_plain(self.low)}"
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"{what} in {left}{_plain(self.low)}, {_plain(self.high)}{right}"

    def __call__(self, text: str) -> float:
        try:
            value = float(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid float value: {text!r} (use {self.accepted})") from None
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if not math.isfinite(value) or too_low or too_high:
            raise argparse.ArgumentTypeError(f"{text.strip()} is not accepted: use {self.accepted}")
        return value


class CheckedList(_Checked):
    """Comma-separated values, each checked by one item checker (``5000,8000``; ``0.1,0.5,1``)."""

    def __init__(self, item: Integer | Number, *, allow_empty: bool = True) -> None:
        self.item = item
        self.allow_empty = allow_empty
        self.__name__ = f"list of {'int' if isinstance(item, Integer) else 'float'}"

    def __call__(self, text: str) -> list:
        try:
            values = [self.item(part) for part in text.split(",") if part.strip()]
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{text!r}: {exc} in each comma-separated item") from None
        if not values and not self.allow_empty:
            raise argparse.ArgumentTypeError(f"{text!r} lists no number: use {self.item.accepted}")
        return values


def _plain(value: float) -> str:
    """``1000000.0`` -> ``1000000``, ``0.5`` -> ``0.5`` (ranges read as typed, not as ``1e+06``)."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def dataset_name(text: str) -> str:
    """A name a new store may take (``data import --name``): :data:`harness.naming.NAME_PATTERN`."""
    problem = name_problem(text)
    if problem:
        shown = text if len(text) <= 40 else f"{text[:37]}..."
        raise argparse.ArgumentTypeError(f"{shown!r} {problem}: use {NAME_RULE}")
    return text


def absolute_path(text: str) -> Path:
    """A local path made absolute now, so what a store records stays true from any working directory."""
    return Path(text).expanduser().absolute()


SEED = Integer(0, SEED_MAX)
FOLDS = Integer(2, 1000)
BOOTSTRAP = Integer(10, 100_000)
COMPARE_BOOTSTRAP = Integer(100, 100_000)
BATCH_SIZE = Integer(1, 1_000_000)
PARTICIPANTS = Integer(2, 1_000_000)
SEGMENTS_PER_PARTICIPANT = Integer(1, 100_000)
RATE = Number(0, 1_000_000, low_open=True, unit="Hz")
STEPS = Integer(1)
STEP_LIST = CheckedList(STEPS)
PRETRAIN_BATCH = Integer(2, 1_000_000)
WORKERS = Integer(0, 1024)
LOADER_THREADS = Integer(1, 64)
CHUNKS = Integer(1)
LEARNING_RATE = Number(0, low_open=True)
WEIGHT_DECAY = Number(0)
MOMENTUM = Number(0, 1)
FRACTION = Number(0, 1, high_open=True)
SECONDS = Number(0, low_open=True, unit="seconds")
TOLERANCE = Number(0)
JOBS = Integer(1, 1024)
WINDOWS = Integer(1)
LABEL_FRACTION = Number(0, 1, low_open=True)
LABEL_FRACTIONS = CheckedList(LABEL_FRACTION, allow_empty=False)
LABEL_REPEATS = Integer(1, 100)
