"""Sources written in the exact layouts the importers read (no real recordings needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def wave(seconds: float, fs: float, seed: int = 0, channels: int = 1) -> np.ndarray:
    """(samples, channels) of a pulse-like signal with noise: never flat, always finite."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * fs)) / fs
    base = np.sin(2 * np.pi * (1.0 + 0.2 * rng.random()) * t)
    return np.stack([base * (1 + 0.1 * c) + 0.05 * rng.standard_normal(t.size) for c in range(channels)], axis=1)


def write_csv(path: Path, data: np.ndarray, header: list[str] | None, *, sep: str = ",", decimal: str = ".",
              time_fs: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [] if header is None else [sep.join((["time"] if time_fs else []) + header)]
    for i, row in enumerate(data):
        cells = ([f"{i / time_fs:.6f}"] if time_fs else []) + [f"{v:.6f}" for v in row]
        lines.append(sep.join(c.replace(".", decimal) for c in cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def write_labels(path: Path, rows: list[str], header: str = "record,participant_id,age,sex") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def write_e4(folder: Path, data: np.ndarray, fs: float, start: float, name: str = "BVP") -> None:
    """An E4 connect export file: start time(s), rate(s), then samples, no header."""
    folder.mkdir(parents=True, exist_ok=True)
    k = data.shape[1]
    lines = [", ".join([f"{start:.6f}"] * k), ", ".join([f"{fs:.6f}"] * k)]
    lines += [",".join(f"{v:.2f}" for v in row) for row in data]
    (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")


def write_edf(path: Path, signals: list[np.ndarray], rates: list[int], labels: list[str], *, bdf: bool = False) -> None:
    """An EDF+ (or BDF+) file through pyedflib's writer, physical units in mV."""
    import pyedflib

    path.parent.mkdir(parents=True, exist_ok=True)
    kind = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    writer = pyedflib.EdfWriter(str(path), len(signals), file_type=kind)
    try:
        headers = []
        for x, fs, label in zip(signals, rates, labels):
            headers.append({"label": label, "dimension": "mV", "sample_frequency": fs,
                            "physical_max": float(np.ceil(np.abs(x).max() + 1)),
                            "physical_min": -float(np.ceil(np.abs(x).max() + 1)),
                            "digital_max": 8388607 if bdf else 32767, "digital_min": -8388608 if bdf else -32768})
        writer.setSignalHeaders(headers)
        writer.writeSamples([np.asarray(x, dtype=np.float64) for x in signals])
    finally:
        writer.close()
