"""Synthetic pulse and QRS trains with known beat times, for the baseline feature tests."""

from __future__ import annotations

import numpy as np
import pytest

from harness.encoders import Batch


def beat_times(hr: float, duration_s: float, jitter: float = 0.0, seed: int = 0, start: float = 0.3):
    """Beat times at ``hr`` bpm; ``jitter`` is the relative s.d. of each interval (irregular rhythm)."""
    rng = np.random.default_rng(seed)
    times = [start]
    while times[-1] < duration_s + 2.0:
        times.append(times[-1] + 60.0 / hr * (1.0 + jitter * rng.standard_normal()))
    return np.array(times)


def pulse_train(hr: float = 72.0, fs: float = 64.0, duration_s: float = 60.0, jitter: float = 0.0,
                seed: int = 0, reflection: float = 0.5, amplitude: float = 100.0, dc: float = 5000.0,
                noise: float = 0.0) -> np.ndarray:
    """PPG-like: systolic wave plus a delayed, smaller reflected (diastolic) wave per beat."""
    t = np.arange(round(fs * duration_s)) / fs
    rr = 60.0 / hr
    x = np.zeros_like(t)
    for b in beat_times(hr, duration_s, jitter, seed):
        x += np.exp(-0.5 * ((t - b - 0.15 * rr**0.5) / 0.07) ** 2)
        x += reflection * np.exp(-0.5 * ((t - b - 0.42 * rr**0.5) / 0.09) ** 2)
    x = dc + amplitude * x
    if noise:
        x += noise * amplitude * np.random.default_rng(seed + 1).standard_normal(len(x))
    return x


def qrs_train(hr: float = 72.0, fs: float = 128.0, duration_s: float = 30.0, jitter: float = 0.0,
              seed: int = 0, p_amp: float = 0.15, qrs_scale: float = 1.0) -> np.ndarray:
    """ECG-like (mV): P, Q, R, S and T waves per beat; ``qrs_scale`` widens Q, R and S."""
    t = np.arange(round(fs * duration_s)) / fs
    x = np.zeros_like(t)

    def wave(centre, width, amp):
        return amp * np.exp(-0.5 * ((t - centre) / width) ** 2)

    for b in beat_times(hr, duration_s, jitter, seed, start=0.4):
        s = qrs_scale
        x += (wave(b - 0.16, 0.025, p_amp) + wave(b - 0.02 * s, 0.008 * s, -0.1) + wave(b, 0.01 * s, 1.0)
              + wave(b + 0.025 * s, 0.009 * s, -0.25) + wave(b + 0.28, 0.045, 0.3))
    return x


def make_batch(rows: list[np.ndarray], fs: float, samples: int, n_valid: list[int] | None = None) -> Batch:
    """Rows zero-padded (or cropped) to ``samples``, as the input adapter delivers them."""
    signal = np.zeros((len(rows), 1, samples), dtype=np.float32)
    lengths = []
    for i, row in enumerate(rows):
        k = min(len(row), samples)
        signal[i, 0, :k] = row[:k]
        lengths.append(k)
    return Batch(signal=signal, fs=fs, participant_id=np.array([f"p{i}" for i in range(len(rows))]),
                 n_valid=np.array(n_valid if n_valid is not None else lengths))


@pytest.fixture
def ppg_encoder():
    from harness_baselines.handcrafted import make_handcrafted

    return make_handcrafted(modality="ppg")


@pytest.fixture
def ecg_encoder():
    from harness_baselines.handcrafted import make_handcrafted

    return make_handcrafted(modality="ecg")


@pytest.fixture
def synth():
    """The generators above, handed to tests (conftest modules are not imported directly)."""
    from types import SimpleNamespace

    return SimpleNamespace(pulse_train=pulse_train, qrs_train=qrs_train, make_batch=make_batch,
                           beat_times=beat_times)
