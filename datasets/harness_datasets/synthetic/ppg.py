"""Synthetic wrist PPG: 4 channels at 64 Hz, 60 s segments, in arbitrary sensor units with a DC offset.

Each beat is a systolic Gaussian, a reflected (diastolic) wave arriving ``height / PWV`` later, a
dicrotic notch between them whose depth fades with stiffness, and a diastolic run-off. Channels share
the pulse but differ in gain, offset and noise (stable per participant, perturbed per segment).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness_datasets.synthetic.cohort import PPG_CHANNELS
from harness_datasets.synthetic.signals import (
    SegmentBatch,
    beat_series,
    beats_inside,
    burst_envelope,
    contact_step,
    gaussian_waves,
    segment_context,
    smooth_noise,
)

FS = 64.0
SAMPLES = 3840
DURATION = SAMPLES / FS
CHANNEL_NAMES = tuple(f"ppg{c}" for c in range(PPG_CHANNELS))
UNITS = "arbitrary sensor units (DC offset ~1000)"
ARTEFACT_PROBABILITY = 0.2
CONTACT_CHANGE_PROBABILITY = 0.15


def _col(cohort: pd.DataFrame, name: str, part: np.ndarray) -> np.ndarray:
    return cohort[name].to_numpy(dtype=np.float64)[part]


def unit_pulses(rng: np.random.Generator, cohort: pd.DataFrame, part: np.ndarray, times: np.ndarray,
                ectopic: np.ndarray, rr0: np.ndarray, resp_hz: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The pulsatile waveform (peak ~1) of every segment, before sensor scaling."""
    n, n_beats = times.shape
    seg = np.exp(0.05 * rng.standard_normal((n, 3)))  # vasomotor tone: small per-segment shape changes
    sys_t = _col(cohort, "latent_systolic_time_s", part) * seg[:, 0]
    sys_w = _col(cohort, "latent_systolic_width_s", part) * seg[:, 1]
    delay = _col(cohort, "latent_reflection_delay_s", part) * np.exp(0.03 * rng.standard_normal(n))
    ri = np.clip(_col(cohort, "latent_reflection_index", part) * seg[:, 2], 0.05, 1.2)
    notch = _col(cohort, "latent_notch_depth", part)
    refl_w = _col(cohort, "latent_reflected_width_s", part)
    runoff = _col(cohort, "latent_runoff", part)
    scale = np.clip(rr0 / 0.85, 0.55, 1.3)  # diastole shortens at high heart rate
    # per-beat amplitude: respiratory modulation, jitter, small ectopic pulse, potentiated next beat
    am: np.ndarray = 0.07 * np.exp(0.3 * rng.standard_normal(n))
    phase = rng.uniform(0, 2 * np.pi, size=(n,))
    amp = (1.0 + am[:, None] * np.sin(2 * np.pi * resp_hz[:, None] * times + phase[:, None])
           + 0.03 * rng.standard_normal((n, n_beats)))
    amp = amp * np.where(ectopic, 0.5, 1.0)
    amp[:, 1:] *= np.where(ectopic[:, :-1], 1.15, 1.0)

    def per_seg(x: np.ndarray) -> np.ndarray:
        return x[:, None]

    components = [
        (amp, per_seg(sys_t), per_seg(sys_w)),
        (amp * per_seg(ri), per_seg(sys_t + delay), per_seg(refl_w)),
        (-amp * per_seg(notch * ri), per_seg(sys_t + 0.55 * delay), per_seg(np.full(n, 0.022))),
        (amp * per_seg(runoff * ri), per_seg(sys_t + delay + 0.15 * scale), per_seg(0.16 * scale)),
    ]
    return gaussian_waves(t, times, components)


def synthesize(cohort: pd.DataFrame, per_participant: int, rng: np.random.Generator) -> SegmentBatch:
    """``per_participant`` segments for every row of ``cohort`` (a block from :func:`sample_block`)."""
    t = np.arange(SAMPLES) / FS
    ctx = segment_context(rng, cohort, per_participant)
    part = ctx.participant
    n = len(part)
    times, ectopic = beat_series(rng, ctx, cohort, DURATION)
    rr0 = 60.0 / ctx.hr
    pulse = unit_pulses(rng, cohort, part, times, ectopic, rr0, ctx.resp_hz, t)

    # sensor scaling: participant amplitude x contact of this segment x channel coupling
    amp = _col(cohort, "latent_pulse_amplitude", part) * np.exp(0.2 * rng.standard_normal(n))
    gains = np.stack([_col(cohort, f"latent_ch{c}_gain", part) for c in range(PPG_CHANNELS)], axis=1)
    gains = gains * np.exp(0.08 * rng.standard_normal((n, PPG_CHANNELS)))
    offsets = np.stack([_col(cohort, f"latent_ch{c}_offset", part) for c in range(PPG_CHANNELS)], axis=1)
    offsets = offsets + 40.0 * rng.standard_normal((n, PPG_CHANNELS))
    noise = np.stack([_col(cohort, f"latent_ch{c}_noise", part) for c in range(PPG_CHANNELS)], axis=1)
    noise = noise * np.exp(0.3 * rng.standard_normal(n))[:, None] * (amp / 20.0)[:, None]

    # common baseline: respiration-induced intensity variation and slow drift
    resp_phase = rng.uniform(0, 2 * np.pi, n)
    riiv = 0.15 * np.sin(2 * np.pi * ctx.resp_hz[:, None] * t[None, :] + resp_phase[:, None])
    drift = 0.4 * smooth_noise(rng, n, SAMPLES, FS, 0.0, 0.05)
    # posture/contact change: gain and baseline step on some segments
    step = contact_step(rng, n, t, CONTACT_CHANGE_PROBABILITY)
    step_gain = np.exp(0.25 * rng.standard_normal(n))[:, None]
    step_shift = rng.normal(0.0, 1.5, n)[:, None]
    gain_t = 1.0 + (step_gain - 1.0) * step
    common = (pulse * gain_t + riiv + drift + step_shift * step) * amp[:, None]

    # motion artefacts: band-limited bursts, mostly shared across channels
    envelope = burst_envelope(rng, n, t, ARTEFACT_PROBABILITY) * (amp * rng.uniform(1.0, 4.0, n))[:, None]
    shared = smooth_noise(rng, n, SAMPLES, FS, 0.3, 6.0)

    signal = np.empty((n, PPG_CHANNELS, SAMPLES), dtype=np.float32)
    for c in range(PPG_CHANNELS):
        own = smooth_noise(rng, n, SAMPLES, FS, 0.3, 6.0)
        artefact = envelope * (0.8 * shared + 0.6 * own)
        white = noise[:, c : c + 1] * rng.standard_normal((n, SAMPLES), dtype=np.float32)
        signal[:, c] = offsets[:, c : c + 1] + gains[:, c : c + 1] * (common + artefact) + white
    beat_times, beat_ectopic = beats_inside(times, ectopic, DURATION)
    return SegmentBatch(signal, part, ctx.t_start, beat_times, beat_ectopic, ctx.hr)
