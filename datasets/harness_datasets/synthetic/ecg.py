"""Synthetic single-lead (lead-I-like) ECG: 128 Hz, 30 s segments, in mV.

Each beat is P, Q, R, S and T Gaussians placed by the participant's PR interval, P duration, QRS
width and QT (Bazett: QT = QTc * sqrt(RR)); the frontal QRS axis scales the lead's R, S and T. Ectopic
(ventricular) beats come early, without P, with a wide QRS and inverted T. AF segments have
irregularly irregular RR, no P waves and a 4-9 Hz fibrillatory baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

FS = 128.0
SAMPLES = 3840
DURATION = SAMPLES / FS
CHANNEL_NAMES = ("ecg",)
UNITS = "mV"
ARTEFACT_PROBABILITY = 0.15
CONTACT_CHANGE_PROBABILITY = 0.1


def _col(cohort: pd.DataFrame, name: str, part: np.ndarray) -> np.ndarray:
    return cohort[name].to_numpy(dtype=np.float64)[part]


def lead_amplitudes(axis_deg: np.ndarray, r_amp: np.ndarray, s_ratio: np.ndarray,
                    t_amp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R, S and T heights in a lead-I-like lead: a leftward (smaller) axis raises R and T, shallows S."""
    rad = np.deg2rad(axis_deg)
    r = r_amp * (0.4 + 0.6 * np.cos(rad))
    s = r_amp * s_ratio * (0.6 + 0.8 * np.clip(np.sin(rad), 0.0, None))
    t = t_amp * (0.5 + 0.5 * np.cos(rad))
    return r, s, t


def fibrillation(rng: np.random.Generator, cohort: pd.DataFrame, part: np.ndarray,
                 t: np.ndarray) -> np.ndarray:
    """f-waves: a 4-9 Hz oscillation with wandering frequency and amplitude (mV)."""
    n = len(part)
    f_hz = _col(cohort, "latent_af_f_hz", part)[:, None]
    wander = smooth_noise(rng, n, len(t), FS, 0.05, 0.5)
    phase = 2 * np.pi * np.cumsum(f_hz * (1.0 + 0.08 * wander), axis=1) / FS + rng.uniform(0, 6.3, (n, 1))
    amp = _col(cohort, "latent_af_f_amp_mv", part)[:, None] * (1.0 + 0.3 * smooth_noise(rng, n, len(t), FS,
                                                                                         0.05, 0.5))
    return amp * (np.sin(phase) + 0.3 * np.sin(2 * phase + 0.7))


def synthesize(cohort: pd.DataFrame, per_participant: int, rng: np.random.Generator) -> SegmentBatch:
    """``per_participant`` segments for every row of ``cohort`` (a block from :func:`sample_block`)."""
    t = np.arange(SAMPLES) / FS
    ctx = segment_context(rng, cohort, per_participant)
    part = ctx.participant
    n = len(part)
    af = _col(cohort, "af", part) > 0
    times, ectopic = beat_series(rng, ctx, cohort, DURATION, af=af)
    n_beats = times.shape[1]
    rr0 = 60.0 / ctx.hr

    pr = _col(cohort, "latent_pr_ms", part) / 1000.0
    p_dur = _col(cohort, "latent_p_duration_ms", part) / 1000.0
    qrs = _col(cohort, "latent_qrs_ms", part) / 1000.0 * np.exp(0.02 * rng.standard_normal(n))
    qt = _col(cohort, "latent_qtc_ms", part) / 1000.0 * np.sqrt(rr0) * np.exp(0.015 * rng.standard_normal(n))
    contact = np.exp(0.08 * rng.standard_normal(n))
    r, s, tw = lead_amplitudes(_col(cohort, "latent_axis_deg", part), _col(cohort, "latent_r_amp_mv", part),
                               _col(cohort, "latent_s_ratio", part), _col(cohort, "latent_t_amp_mv", part))
    q = _col(cohort, "latent_q_ratio", part) * r
    p_amp = _col(cohort, "latent_p_amp_mv", part) * ~af
    t_width = _col(cohort, "latent_t_width_s", part)

    # per-beat modulation: respiration changes QRS amplitude; ectopic beats are wide, P-less, T-inverted
    resp_phase = rng.uniform(0, 2 * np.pi, n)
    mod = 1.0 + 0.06 * np.sin(2 * np.pi * ctx.resp_hz[:, None] * times + resp_phase[:, None])
    mod = mod * (1.0 + 0.02 * rng.standard_normal((n, n_beats)))
    normal = ~ectopic
    wide = np.where(ectopic, 1.8, 1.0)

    def seg(x: np.ndarray) -> np.ndarray:
        return (x * contact)[:, None] if x.ndim == 1 else x

    ones = np.ones((n, 1))
    components = [
        (seg(p_amp) * normal, (-qrs / 2 - pr + p_dur / 2)[:, None], (p_dur / 5)[:, None]),
        (-seg(q) * mod * normal, (-0.32 * qrs)[:, None], (qrs / 12)[:, None]),
        (seg(r) * mod * np.where(ectopic, 1.4, 1.0), 0.0 * ones, (qrs / 9)[:, None] * wide),
        (-seg(s) * mod * np.where(ectopic, 2.0, 1.0), (0.32 * qrs)[:, None] * wide,
         (qrs / 11)[:, None] * wide),
        (seg(tw) * np.where(ectopic, -1.2, 1.0), (-qrs / 2 + qt - 2.3 * t_width)[:, None],
         t_width[:, None] * np.where(ectopic, 1.4, 1.0)),
    ]
    ecg = gaussian_waves(t, times, components)

    if af.any():
        rows = np.flatnonzero(af)
        ecg[rows] += fibrillation(rng, cohort, part[rows], t)
    # baseline wander (respiration + slow drift), electrode contact steps, noise, motion/EMG bursts
    wander = (rng.uniform(0.01, 0.08, n)[:, None]
              * np.sin(2 * np.pi * ctx.resp_hz[:, None] * t[None, :] + resp_phase[:, None] + 1.0))
    wander += rng.uniform(0.02, 0.15, n)[:, None] * smooth_noise(rng, n, SAMPLES, FS, 0.0, 0.3)
    wander += rng.normal(0.0, 0.2, n)[:, None] * contact_step(rng, n, t, CONTACT_CHANGE_PROBABILITY)
    noise = _col(cohort, "latent_noise_mv", part) * np.exp(0.3 * rng.standard_normal(n))
    envelope = burst_envelope(rng, n, t, ARTEFACT_PROBABILITY)
    artefact = envelope * (rng.uniform(0.1, 0.8, n)[:, None] * smooth_noise(rng, n, SAMPLES, FS, 0.5, 4.0)
                           + rng.uniform(0.03, 0.2, n)[:, None] * rng.standard_normal((n, SAMPLES)))
    signal = ecg + wander + artefact + noise[:, None] * rng.standard_normal((n, SAMPLES))
    beat_times, beat_ectopic = beats_inside(times, ectopic, DURATION)
    return SegmentBatch(signal[:, None, :].astype(np.float32), part, ctx.t_start, beat_times, beat_ectopic,
                        ctx.hr)
