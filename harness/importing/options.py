"""The import's options, validated once at the boundary (a rate of 0, NaN or -64 never reaches a store)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError


def positive(value: float | None, option: str, *, integer: bool = False) -> None:
    """Refuse NaN, inf, zero and negative numbers for ``option``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise UsageError(f"{option} {value!r} is not a positive finite number",
                         f"give {option} a number above 0")
    if integer and int(value) != value:
        raise UsageError(f"{option} {value!r} is not a whole number", f"give {option} a whole number")


@dataclass(frozen=True)
class ReadOptions:
    """How readers parse files (picklable: worker processes get a copy)."""

    delimiter: str = ","
    decimal: str = "."
    header: str = "auto"  # "auto": detected per file; "none": the first line is data
    columns: tuple[str, ...] | None = None
    fs: float | None = None  # the rate of files that do not state one (CSV without a time/rate column)
    signal: str | None = None  # E4: which file of a participant folder (BVP, ACC, ...)
    exclude: Path | None = None  # the labels file, when it sits inside SOURCE_DIR

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1:
            raise UsageError(f"--delimiter {self.delimiter!r} is not one character", "use e.g. --delimiter ';'")
        if self.decimal not in (".", ","):
            raise UsageError(f"--decimal {self.decimal!r} is not '.' or ','", "use --decimal , or --decimal .")
        if self.decimal == self.delimiter:
            raise UsageError("--decimal and --delimiter are both ','",
                             "files with decimal commas are ';'-separated: add --delimiter ';'")
        positive(self.fs, "--fs")


@dataclass(frozen=True)
class SegmentOptions:
    """How records become segments: rate, windows, and what is dropped."""

    fs: float | None = None  # target rate (records at another rate are resampled when ``resample``)
    resample: bool = False
    window_seconds: float | None = None
    hop_seconds: float | None = None
    max_windows: int | None = None

    def __post_init__(self) -> None:
        positive(self.fs, "--fs")
        positive(self.window_seconds, "--window-seconds")
        positive(self.hop_seconds, "--hop-seconds")
        positive(self.max_windows, "--max-windows-per-record", integer=True)
        if self.window_seconds is None and (self.hop_seconds is not None or self.max_windows is not None):
            raise UsageError("--hop-seconds and --max-windows-per-record need --window-seconds",
                             "add --window-seconds S")
