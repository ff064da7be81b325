"""The ``handcrafted`` baseline: heart rate, variability, waveform morphology and signal statistics.

The embedding is a fixed, named feature vector (see ``describe()["features"]``). Features that cannot
be computed for a row (flat, too short, noisy) get a documented neutral value, and the ``*_ok`` /
``*_found`` indicator columns say so, so the output is always finite.

Input: one channel (the adapter averages multi-channel PPG), PPG 60 s at 64 Hz, ECG 30 s at 128 Hz,
``normalise="none"``: the extractors z-score internally for detection, but keep pulse amplitude, DC
level and ECG voltages in store units, since amplitude carries label information (BMI, sex) that a
per-segment z-score would erase. Only ``batch.n_valid`` leading samples of each row are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from harness import Batch, InputSpec, UsageError
from harness_baselines._common import HANDCRAFTED_INPUTS, check_modality, refuse_checkpoint, revision_of
from harness_baselines.features_ecg import ECG_FEATURES, ecg_row_features
from harness_baselines.features_ppg import PPG_FEATURES, ppg_row_features

RowFn = Callable[[np.ndarray, float], dict[str, float]]

SETUPS: dict[str, tuple[InputSpec, tuple[tuple[str, float], ...], RowFn]] = {
    "ppg": (HANDCRAFTED_INPUTS["ppg"], PPG_FEATURES, ppg_row_features),
    "ecg": (HANDCRAFTED_INPUTS["ecg"], ECG_FEATURES, ecg_row_features),
}
MODALITIES = tuple(SETUPS)


class HandcraftedEncoder:
    """Per-row feature extraction; ``embed`` loops over rows (about 2-3 ms each on one CPU core)."""

    training_datasets: tuple[str, ...] = ()
    training_revisions: tuple[str, ...] = ()

    def __init__(self, modality: str, name: str = "handcrafted") -> None:
        check_modality(name, modality, MODALITIES)
        self.name = name
        self.modality = modality
        self.input_spec, features, self._row_fn = SETUPS[modality]
        self.feature_names = tuple(f for f, _ in features)
        self._neutral = np.array([v for _, v in features], dtype=np.float64)
        self.embedding_dim = len(self.feature_names)
        self.revision = revision_of(self._settings())

    def _settings(self) -> dict[str, Any]:
        return {"encoder": self.name, "modality": self.modality, "input_spec": self.input_spec.to_dict(),
                "features": dict(zip(self.feature_names, self._neutral.tolist()))}

    def embed(self, batch: Batch) -> np.ndarray:
        signal = np.asarray(batch.signal)
        if signal.ndim != 3:
            raise UsageError(f"encoder '{self.name}' needs a (segments, channels, samples) signal, got "
                             f"shape {signal.shape}", "pass a Batch built by the input adapter")
        n, _, samples = signal.shape
        n_valid = np.clip(np.asarray(batch.n_valid, dtype=np.int64).reshape(-1), 0, samples)
        if len(n_valid) != n:
            raise UsageError(f"batch has {n} segments but {len(n_valid)} n_valid values",
                             "give one n_valid per segment")
        fs = float(batch.fs)
        rows = signal.mean(axis=1) if signal.shape[1] > 1 else signal[:, 0]
        out = np.empty((n, self.embedding_dim), dtype=np.float64)
        index = {name: j for j, name in enumerate(self.feature_names)}
        for i in range(n):
            values = self._neutral.copy()
            for key, value in self._row_fn(rows[i, : n_valid[i]], fs).items():
                values[index[key]] = value
            out[i] = values
        bad = ~np.isfinite(out)
        out[bad] = np.broadcast_to(self._neutral, out.shape)[bad]
        # Keep absurd amplitudes finite in float32 too.
        return np.clip(out, -1e30, 1e30).astype(np.float32)

    def describe(self) -> dict[str, Any]:
        return {**self._settings(), "kind": "baseline", "revision": self.revision,
                "feature_order": list(self.feature_names),
                "note": "features are NaN-free: uncomputable ones take the listed neutral value and "
                        "the *_ok/*_found indicators mark them"}


def make_handcrafted(*, modality: str, device: str = "cpu",
                     checkpoint: str | None = None) -> HandcraftedEncoder:
    """Factory registered as ``handcrafted``; runs on the CPU whatever ``device`` says."""
    refuse_checkpoint("handcrafted", checkpoint)
    return HandcraftedEncoder(modality)
