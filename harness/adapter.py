"""The input adapter: turns any store's segments into the input an encoder declares.

Steps, in order, all recorded in ``Adapted.policy`` so results say exactly what was done:
channel mapping (same count: as is; one wanted and several stored: mean of channels; otherwise the first
N channels, or repetition when fewer are stored), resampling of the valid part to the encoder's rate
(polyphase, anti-aliased), per-segment per-channel z-score or [-1, 1] min-max scaling when asked, then
fitting to the window: longer
recordings are centre-cropped or cut into consecutive windows (embeddings averaged later); shorter ones
are zero-padded (``n_valid`` says how much is real) or tiled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.signal import resample_poly

from harness.encoders import InputSpec
from harness.errors import DataError


@dataclass
class Adapted:
    signal: np.ndarray
    n_valid: np.ndarray
    row_of: np.ndarray
    policy: dict[str, Any] = field(default_factory=dict)


def channel_plan(have: int, wanted: int, names: list[str] | None = None,
                 preferred: tuple[str, ...] = (), fewer: str = "repeat") -> tuple[str, list[int] | None, str]:
    """How ``have`` stored channels become ``wanted``: (operation, picked indices, description).

    Operations: ``pick`` (by name), ``identity``, ``mean``, ``first``, ``repeat`` (refused with
    ``fewer="refuse"``). A pure function of the store's layout, so the policy is known before any signal
    is read.
    """
    lookup = {name.strip().lower(): i for i, name in enumerate(names or [])}
    picked = [lookup[p.lower()] for p in preferred if p.lower() in lookup]
    if picked and len(picked) == wanted:
        return "pick", picked, f"channels {[names[i] for i in picked]} by name"  # type: ignore[index]
    if have == wanted:
        return "identity", None, "identity"
    if wanted == 1:
        return "mean", None, f"mean of {have} channels"
    if have > wanted:
        return "first", None, f"first {wanted} of {have} channels"
    if fewer == "refuse":
        stored = f" ({', '.join(names)})" if names else ""
        wanted_names = f" ({', '.join(preferred)})" if preferred else ""
        raise DataError(f"the encoder needs {wanted} channels and the store has {have}{stored}",
                        f"use a dataset with {wanted} channels{wanted_names}")
    return "repeat", None, f"{have} channel(s) repeated to {wanted}"


def _map_channels(x: np.ndarray, spec: InputSpec, names: list[str] | None = None) -> np.ndarray:
    wanted = spec.channels
    op, picked, _ = channel_plan(x.shape[1], wanted, names, spec.preferred_channels, spec.fewer_channels)
    if op == "pick":
        return x[:, picked]
    if op == "identity":
        return x
    if op == "mean":
        return _mean_of_channels(x)
    if op == "first":
        return x[:, :wanted]
    reps = -(-wanted // x.shape[1])
    return np.tile(x, (1, reps, 1))[:, :wanted]


def _mean_of_channels(x: np.ndarray) -> np.ndarray:
    """Mean over the channels that hold a sample at each time; NaN where none does (the store's padding
    beyond ``n_samples``), without numpy's "Mean of empty slice" warning for those columns."""
    held = np.isfinite(x)
    total = np.where(held, x, 0.0).sum(axis=1, keepdims=True, dtype=np.float64)
    count = held.sum(axis=1, keepdims=True)
    out = np.full(total.shape, np.nan, dtype=np.float32)
    np.divide(total, count, out=out, where=count > 0, casting="unsafe")
    return out


def adaptation_policy(fs: float, spec: InputSpec | None, *, channels: int,
                      channel_names: list[str] | None = None, long_policy: str | None = None) -> dict[str, Any]:
    """What :func:`adapt` does to a store of this layout (recorded in results and cache keys)."""
    if spec is None:
        return {"adapter": "none"}
    _, _, description = channel_plan(channels, spec.channels, channel_names, spec.preferred_channels,
                                     spec.fewer_channels)
    return {
        "adapter": "harness.adapter/1", "source_fs": float(fs), "target_fs": spec.fs,
        "channels": description, "source_channels": channel_names, "normalise": spec.normalise,
        "window_samples": spec.samples, "long_policy": long_policy or spec.long_policy,
        "short_policy": spec.short_policy,
    }


def _resample(x: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    if abs(fs_in - fs_out) < 1e-9:
        return x
    ratio = Fraction(fs_out / fs_in).limit_denominator(1000)
    return resample_poly(x, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)


def zscore(x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Per-row, per-channel z-score; flat rows become zeros instead of NaN.

    The statistics are computed in float64: in float32 the squares of amplitudes above ~1e19 overflow
    to inf, the std becomes inf and the whole input silently becomes zeros. Any finite float32 signal
    z-scores to the same values as the same signal at amplitude 1.
    """
    wide = np.asarray(x, dtype=np.float64)
    mean = wide.mean(axis=-1, keepdims=True)
    std = wide.std(axis=-1, keepdims=True)
    return ((wide - mean) / np.maximum(std, eps)).astype(np.float32)


def minmax(x: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Per-row, per-channel scaling to [-1, 1] (HuBERT-ECG's ``utils.scaling``); flat rows become -1,
    as there. Computed in float64 for the same reason as :func:`zscore`."""
    wide = np.asarray(x, dtype=np.float64)
    low = wide.min(axis=-1, keepdims=True)
    span = wide.max(axis=-1, keepdims=True) - low
    return (2 * (wide - low) / (span + eps) - 1).astype(np.float32)


def _fit_block(x: np.ndarray, samples: int, long_policy: str,
               short_policy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit ``(m, c, length)`` recordings of one length to ``samples``; vectorised over the block.

    Returns windows ``(rows, c, samples)``, their valid lengths, and the block row each came from.
    """
    m, c, length = x.shape
    rows = np.arange(m)
    if length == samples:
        return x, np.full(m, samples), rows
    if length > samples:
        if long_policy == "windows" and length >= 2 * samples:
            k = length // samples
            windows = x[:, :, :k * samples].reshape(m, c, k, samples).transpose(0, 2, 1, 3)
            return windows.reshape(m * k, c, samples), np.full(m * k, samples), np.repeat(rows, k)
        start = (length - samples) // 2
        return x[:, :, start:start + samples], np.full(m, samples), rows
    if short_policy == "tile" and length > 0:
        reps = -(-samples // length)
        return np.tile(x, (1, 1, reps))[:, :, :samples], np.full(m, samples), rows
    out = np.zeros((m, c, samples), dtype=np.float32)
    out[:, :, :length] = x
    return out, np.full(m, length), rows


def adapt(signal: np.ndarray, n_valid: np.ndarray, fs: float, spec: InputSpec | None, *,
          channel_names: list[str] | None = None, long_policy: str | None = None) -> Adapted:
    """Adapt ``(n, c, t)`` store segments (NaN-padded beyond ``n_valid``) to ``spec``.

    ``spec=None`` passes the valid signal through unchanged (NaN padding replaced by zeros).
    """
    signal = np.asarray(signal, dtype=np.float32)
    n_valid = np.asarray(n_valid, dtype=np.int64)
    if signal.ndim != 3:
        raise DataError(f"expected segments shaped (n, channels, time), got {signal.shape}",
                        "pass a 3-d array")
    if spec is None:
        clean = np.nan_to_num(signal, nan=0.0, posinf=0.0, neginf=0.0)
        return Adapted(clean, n_valid.copy(), np.arange(len(signal)),
                       adaptation_policy(fs, None, channels=signal.shape[1]))
    long_policy = long_policy or spec.long_policy
    mapped = _map_channels(signal, spec, channel_names)
    blocks: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    row_of: list[np.ndarray] = []
    # Segments sharing a valid length are processed as one block (the common case: all of them).
    for length in np.unique(n_valid):
        idx = np.flatnonzero(n_valid == length)
        part = mapped if len(idx) == len(mapped) and length == mapped.shape[-1] else mapped[idx, :, :length]
        if not np.isfinite(part).all():
            part = np.nan_to_num(part, nan=0.0, posinf=0.0, neginf=0.0)
        part = _resample(part, fs, spec.fs)
        if spec.normalise == "zscore":
            part = zscore(part)
        elif spec.normalise == "minmax":
            part = minmax(part)
        windows, valid, rows = _fit_block(part, spec.samples, long_policy, spec.short_policy)
        blocks.append(windows)
        lengths.append(valid)
        row_of.append(idx[rows])
    if blocks:
        stacked = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        source_rows = np.concatenate(row_of)
        order = np.argsort(source_rows, kind="stable")
        if not (order == np.arange(len(order))).all():
            stacked, source_rows = stacked[order], source_rows[order]
            valid_all = np.concatenate(lengths)[order]
        else:
            valid_all = np.concatenate(lengths)
    else:
        stacked = np.zeros((0, spec.channels, spec.samples), np.float32)
        source_rows, valid_all = np.zeros(0, np.int64), np.zeros(0, np.int64)
    policy = adaptation_policy(fs, spec, channels=signal.shape[1], channel_names=channel_names,
                               long_policy=long_policy)
    return Adapted(np.ascontiguousarray(stacked, dtype=np.float32), valid_all, source_rows, policy)


def mean_by_row(embeddings: np.ndarray, row_of: np.ndarray, n_segments: int) -> np.ndarray:
    """Average window embeddings back to one row per source segment."""
    out = np.zeros((n_segments, embeddings.shape[1]), dtype=np.float64)
    counts = np.bincount(row_of, minlength=n_segments).astype(np.float64)
    np.add.at(out, row_of, embeddings)
    return (out / np.maximum(counts, 1)[:, None]).astype(np.float32)
