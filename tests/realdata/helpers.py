"""Small generated releases for the real-data tests (no real recordings needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_wfdb(folder: Path, name: str, signal: np.ndarray, fs: float, names: list[str] | None = None,
               units: str = "mV") -> None:
    """Write ``signal`` (samples, channels) as a WFDB record ``folder/name.{hea,dat}``."""
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    channels = signal.shape[1]
    wfdb.wrsamp(name, fs=fs, units=[units] * channels, sig_name=names or [f"ch{i}" for i in range(channels)],
                p_signal=signal.astype(np.float64), fmt=["16"] * channels, adc_gain=[1000.0] * channels,
                baseline=[0] * channels, write_dir=str(folder))


def ecg_like(seconds: float, fs: float, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    beat = np.sin(2 * np.pi * (1.0 + 0.2 * rng.random()) * t) ** 15
    return np.stack([beat * (0.5 + 0.1 * c) + 0.01 * rng.standard_normal(t.size) for c in range(channels)],
                    axis=1)
