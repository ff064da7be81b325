"""From one record's channels to the segments stored: resampling to the store's rate (polyphase), then
either the whole record or fixed windows, with the unusable ones (NaN/inf, flat, empty) dropped and
counted. Runs in worker processes, so it takes and returns plain picklable data."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from harness.importing.formats import reader
from harness.importing.options import ReadOptions, SegmentOptions
from harness.importing.records import RecordInfo


@dataclass
class Prepared:
    """What one record gives: a status (``ok``, ``empty``, ``nonfinite``, ``flat``, ``short``), the
    segments (None in a summary), their offsets in seconds from the record's start, and counts."""

    status: str
    samples_in: int
    length: int = 0  # samples per segment (the longest, for a whole record it is the record)
    segments: np.ndarray | None = None
    offsets: np.ndarray | None = None
    kept: int = 0
    dropped_nonfinite: int = 0
    dropped_flat: int = 0


@dataclass(frozen=True)
class Task:
    record: RecordInfo
    indices: tuple[int, ...]
    fs: float
    read: ReadOptions
    segment: SegmentOptions
    summary: bool


def resample(x: np.ndarray, rate: float, target: float) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``) by the exact ratio ``target / rate``."""
    if rate == target:
        return x
    from scipy.signal import resample_poly

    ratio = Fraction(target / rate).limit_denominator(10000)
    return resample_poly(x, ratio.numerator, ratio.denominator)


def _longest_constant_run(x: np.ndarray) -> int:
    if x.size < 2:
        return int(x.size)
    change = np.flatnonzero(np.diff(x) != 0)
    edges = np.concatenate([[-1], change, [x.size - 1]])
    return int(np.diff(edges).max())


def mostly_flat(window: np.ndarray) -> bool:
    """One constant stretch covers more than half of the window on some channel."""
    return any(_longest_constant_run(ch) * 2 > window.shape[-1] for ch in window)


def prepare(task: Task) -> Prepared:
    rec = task.record
    arrays = reader(rec.format).read(rec, list(task.indices), task.read)
    samples_in = min((a.size for a in arrays), default=0)
    if samples_in == 0:
        return Prepared("empty", 0)
    arrays = [resample(a, rec.channel_fs[i], task.fs) for a, i in zip(arrays, task.indices)]
    n = min(a.size for a in arrays)
    signal = np.stack([a[:n] for a in arrays]).astype(np.float32)
    opts = task.segment
    if opts.window_seconds is None:
        if not np.isfinite(signal).all():
            return Prepared("nonfinite", samples_in)
        if n < 2 or (np.ptp(signal, axis=1) == 0).any():
            return Prepared("flat", samples_in)
        return Prepared("ok", samples_in, n, None if task.summary else signal[None],
                        np.zeros(1), kept=1)
    win = round(opts.window_seconds * task.fs)
    hop = round((opts.hop_seconds or opts.window_seconds) * task.fs)
    if n < win or win < 1 or hop < 1:
        return Prepared("short", samples_in)
    starts = np.arange(0, n - win + 1, hop)
    if opts.max_windows is not None and len(starts) > opts.max_windows:
        starts = starts[np.unique(np.linspace(0, len(starts) - 1, opts.max_windows).round().astype(int))]
    keep, nonfinite, flat = [], 0, 0
    for s in starts:
        window = signal[:, s: s + win]
        if not np.isfinite(window).all():
            nonfinite += 1
        elif mostly_flat(window):
            flat += 1
        else:
            keep.append(int(s))
    out = Prepared("ok" if keep else "nonfinite" if nonfinite >= flat else "flat", samples_in, win,
                   kept=len(keep), dropped_nonfinite=nonfinite, dropped_flat=flat)
    if not task.summary and keep:
        out.segments = np.stack([signal[:, s: s + win] for s in keep])
    out.offsets = np.asarray(keep, dtype=np.float64) / task.fs
    return out
