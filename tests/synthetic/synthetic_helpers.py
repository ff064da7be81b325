"""Helpers for the synthetic-cohort tests: generate a cohort and measure features on its signals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness_datasets.synthetic.build import iter_blocks

N_EFFECT = 1024  # participants used by the effect tests (16 blocks)


def generate(n: int, modality: str, per: int = 2, seed: int = 7) -> dict[str, np.ndarray | pd.DataFrame]:
    cohorts, signals, parts, beats, ectopic = [], [], [], [], []
    offset = 0
    for cohort, batch in iter_blocks(n, seed, modality, per):
        cohorts.append(cohort)
        signals.append(batch.signal)
        parts.append(batch.participant + offset)
        beats.append(batch.beat_times)
        ectopic.append(batch.ectopic)
        offset += len(cohort)
    width = max(b.shape[1] for b in beats)

    def pad(a: np.ndarray, fill) -> np.ndarray:
        return np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=fill)

    return {"cohort": pd.concat(cohorts, ignore_index=True), "signal": np.concatenate(signals),
            "participant": np.concatenate(parts), "beats": np.concatenate([pad(b, np.nan) for b in beats]),
            "ectopic": np.concatenate([pad(e, False) for e in ectopic])}


def ensemble_beat(signal: np.ndarray, beats: np.ndarray, fs: float, lo: float, hi: float,
                  step: float = 1 / 512) -> tuple[np.ndarray, np.ndarray]:
    """Beat-aligned average of each segment's first channel, interpolated on a fine grid."""
    grid = np.arange(lo, hi, step)
    t = np.arange(signal.shape[-1]) / fs
    out = np.empty((len(signal), len(grid)))
    for i in range(len(signal)):
        b = beats[i][np.isfinite(beats[i])]
        b = b[(b + lo >= 0) & (b + hi < t[-1])]
        at = (b[:, None] + grid[None, :]).ravel()
        out[i] = np.interp(at, t, signal[i, 0]).reshape(len(b), len(grid)).mean(axis=0)
    return grid, out


def rr_stats(beats: np.ndarray, ectopic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean heart rate (bpm) and RMSSD (ms) per segment from the beat series, skipping ectopic beats."""
    rr = np.diff(beats, axis=1)
    bad = ectopic[:, 1:] | ectopic[:, :-1]
    rr = np.where(bad, np.nan, rr)
    hr = 60.0 / np.nanmean(rr, axis=1)
    d = np.diff(rr, axis=1)
    rmssd = 1000.0 * np.sqrt(np.nanmean(d**2, axis=1))
    return hr, rmssd
