"""Vectorised building blocks shared by the PPG and ECG generators.

Everything works on a block of segments at once: beat series are ``(segments, beats)`` arrays and
waveforms are sums of Gaussians placed at beat times, evaluated only for the beats next to each
sample (found with one ``searchsorted`` over all segments), so cost grows with samples, not beats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_HR = 200.0
MIN_RR, MAX_RR = 0.3, 2.0
LEAD_IN_S = 3.0  # beats start this long before the segment so pulse tails enter it naturally
NEIGHBOURS = (-3, -2, -1, 0, 1)


@dataclass
class SegmentBatch:
    """Segments of one participant block, grouped by participant.

    ``beat_times`` (s, NaN-padded) and ``ectopic`` hold the beats inside each segment; they are the
    generator's ground truth, used by tests and available to anyone studying the cohort.
    """

    signal: np.ndarray          # (segments, channels, samples) float32
    participant: np.ndarray     # (segments,) row of the block's cohort frame
    t_start: np.ndarray         # (segments,) seconds since the participant's first segment
    beat_times: np.ndarray      # (segments, beats) seconds within the segment, NaN padded
    ectopic: np.ndarray         # (segments, beats) bool
    segment_hr: np.ndarray      # (segments,) the segment's nominal heart rate, bpm


@dataclass
class SegmentContext:
    """Per-segment state: when it was recorded and how the body was doing then."""

    participant: np.ndarray
    t_start: np.ndarray
    hr: np.ndarray
    resp_hz: np.ndarray
    rmssd_ms: np.ndarray
    activity: np.ndarray


def segment_context(rng: np.random.Generator, cohort: pd.DataFrame, per_participant: int) -> SegmentContext:
    """Recording times over days, circadian and activity-driven heart rate, respiration and HRV."""
    n_p = len(cohort)
    part = np.repeat(np.arange(n_p), per_participant)
    gaps = rng.uniform(0.5, 30.0, (n_p, per_participant)) * 3600.0
    gaps[:, 0] = 0.0
    t_start = np.round(np.cumsum(gaps, axis=1)).ravel()
    first_hour = rng.uniform(7.0, 22.0, n_p)[part]
    hour = (first_hour + t_start / 3600.0) % 24.0
    circadian = 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
    n = len(part)
    activity = rng.exponential(3.0, n) + (rng.random(n) < 0.1) * rng.exponential(12.0, n)
    hr = np.clip(cohort["latent_hr"].to_numpy()[part] + circadian + activity + 2.0 * rng.standard_normal(n),
                 40.0, 170.0)
    resp = cohort["latent_resp_rate"].to_numpy()[part] * np.exp(0.1 * rng.standard_normal(n)) + 0.1 * activity
    rmssd = (cohort["latent_rmssd_ms"].to_numpy()[part] * np.exp(0.15 * rng.standard_normal(n))
             * np.exp(-0.02 * (hr - cohort["latent_hr"].to_numpy()[part])))
    return SegmentContext(part, t_start, hr, resp / 60.0, rmssd, activity)


def beat_series(rng: np.random.Generator, ctx: SegmentContext, cohort: pd.DataFrame, duration: float,
                af: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Beat times ``(segments, beats)`` from an RR model; returns ``(times, ectopic)``.

    Sinus rhythm: slow drift of the rate + LF (Mayer-wave) swing + respiratory sinus arrhythmia +
    beat-to-beat jitter, scaled so RMSSD follows the segment's target. ``af`` segments instead draw
    independent log-normal RR intervals (irregularly irregular). Ectopic beats come early and are
    followed by a compensatory pause.
    """
    n = len(ctx.hr)
    part = ctx.participant
    n_beats = int(np.ceil((duration + LEAD_IN_S + 2.0) * MAX_HR / 60.0)) + 2
    rr0 = 60.0 / ctx.hr
    k = np.arange(n_beats)
    t_approx = -LEAD_IN_S + k[None, :] * rr0[:, None]
    slope = 0.04 * rng.standard_normal(n)
    base = rr0[:, None] / (1.0 + slope[:, None] * (t_approx / duration - 0.5))
    rmssd = ctx.rmssd_ms / 1000.0
    f_lf = rng.uniform(0.06, 0.12, n)
    lf_amp = cohort["latent_lf_ratio"].to_numpy()[part] * rmssd
    # split RMSSD between white jitter (60 %) and RSA (80 %), in quadrature
    sin_term = np.maximum(np.abs(np.sin(np.pi * ctx.resp_hz * rr0)), 0.15)
    rsa_amp = 0.8 * rmssd / (np.sqrt(2.0) * sin_term)
    jitter = 0.6 * rmssd / np.sqrt(2.0)
    phase = rng.uniform(0, 2 * np.pi, (n, 2))
    rr = (base
          + lf_amp[:, None] * np.sin(2 * np.pi * f_lf[:, None] * t_approx + phase[:, :1])
          + rsa_amp[:, None] * np.sin(2 * np.pi * ctx.resp_hz[:, None] * t_approx + phase[:, 1:])
          + jitter[:, None] * rng.standard_normal((n, n_beats)))
    ectopic = rng.random((n, n_beats)) < cohort["latent_ectopic_rate"].to_numpy()[part][:, None]
    ectopic[:, 0] = False
    ectopic[:, 1:] &= ~ectopic[:, :-1]
    if af is not None and af.any():
        irr = cohort["latent_af_irregularity"].to_numpy()[part][:, None]
        af_rr = rr0[:, None] * np.exp(irr * rng.standard_normal((n, n_beats)) - irr**2 / 2)
        rr = np.where(af[:, None], af_rr, rr)
        ectopic &= ~af[:, None]
    short = 0.38 * rr * ectopic
    rr = rr - short
    rr[:, 1:] += short[:, :-1]
    rr = np.clip(rr, MIN_RR, MAX_RR)
    times = -LEAD_IN_S - rng.uniform(0, 1, n)[:, None] * rr0[:, None] + np.cumsum(rr, axis=1)
    return times, ectopic


def beats_inside(times: np.ndarray, ectopic: np.ndarray, duration: float) -> tuple[np.ndarray, np.ndarray]:
    """The beats that fall inside each segment, left-aligned and NaN-padded."""
    inside = (times >= 0.0) & (times < duration)
    count = inside.sum(axis=1)
    width = max(int(count.max()), 1)
    order = np.argsort(~inside, axis=1, kind="stable")[:, :width]
    out = np.take_along_axis(times, order, 1)
    ect = np.take_along_axis(ectopic, order, 1)
    keep = np.arange(width)[None, :] < count[:, None]
    return np.where(keep, out, np.nan), ect & keep


Component = tuple[np.ndarray, np.ndarray, np.ndarray]  # amplitude, centre (s after beat), width (s)


def gaussian_waves(t: np.ndarray, times: np.ndarray, components: Sequence[Component]) -> np.ndarray:
    """Sum, over beats, of Gaussians ``amp * exp(-((t - beat - centre) / width)^2 / 2)``.

    Each component's parameters are ``(segments, beats)`` or per-segment ``(segments, 1)`` arrays.
    Only the beats in :data:`NEIGHBOURS` of each sample's current beat are evaluated (in float32);
    far-away dummy beats pad both ends so every neighbour index is valid.
    """
    n, n_beats = times.shape
    before, after = -min(NEIGHBOURS), max(NEIGHBOURS)
    padded = np.pad(times, ((0, 0), (before, after)), constant_values=0.0)
    padded[:, :before] = -1e4
    padded[:, n_beats + before:] = 1e4
    span = 3e4
    offs = (np.arange(n) * span)[:, None]
    current = np.searchsorted((padded + offs).ravel(), (t[None, :] + offs).ravel(), side="right")
    current = current.reshape(n, len(t)) - 1 - (np.arange(n) * padded.shape[1])[:, None]

    def prep(p: np.ndarray, invert: bool = False) -> np.ndarray:
        p = np.asarray(p, dtype=np.float64).reshape(n, -1)
        p = 1.0 / p if invert else p
        if p.shape[1] != 1:
            p = np.pad(p, ((0, 0), (before, after)), mode="edge")
        return p.astype(np.float32)

    full = [(prep(a), prep(c), prep(w, invert=True)) for a, c, w in components]
    padded32 = padded.astype(np.float32)
    t32 = t.astype(np.float32)[None, :]
    out = np.zeros((n, len(t)), dtype=np.float32)

    rows = (np.arange(n) * padded.shape[1])[:, None]

    def pick(p: np.ndarray, flat: np.ndarray) -> np.ndarray:
        return p if p.shape[1] == 1 else p.ravel().take(flat)

    for o in NEIGHBOURS:
        flat = current + (o + rows)
        tau = t32 - padded32.ravel().take(flat)
        for amp, centre, inv_width in full:
            z = tau - pick(centre, flat)
            z *= pick(inv_width, flat)
            z *= z
            np.minimum(z, 60.0, out=z)
            z *= -0.5
            np.exp(z, out=z)
            z *= pick(amp, flat)
            out += z
    return out.astype(np.float64)


def smooth_noise(rng: np.random.Generator, n: int, samples: int, fs: float, low_hz: float,
                 high_hz: float) -> np.ndarray:
    """Band-limited Gaussian noise with unit standard deviation per row (random spectrum in the band)."""
    freqs = np.fft.rfftfreq(samples, 1.0 / fs)
    band = np.flatnonzero((freqs >= low_hz) & (freqs <= high_hz))
    spec = np.zeros((n, len(freqs)), dtype=np.complex128)
    spec[:, band] = rng.standard_normal((n, len(band))) + 1j * rng.standard_normal((n, len(band)))
    x = np.fft.irfft(spec, n=samples, axis=1)
    return x / np.maximum(x.std(axis=1, keepdims=True), 1e-12)


def burst_envelope(rng: np.random.Generator, n: int, t: np.ndarray, probability: float,
                   max_bursts: int = 3) -> np.ndarray:
    """Flat-topped windows marking motion artefacts / noise bursts on about ``probability`` of segments."""
    has = rng.random(n) < probability
    count = rng.integers(1, max_bursts + 1, n)
    centre = rng.uniform(t[0], t[-1], (n, max_bursts))
    half = rng.uniform(0.5, 3.0, (n, max_bursts))
    strength = rng.uniform(0.5, 1.5, (n, max_bursts)) * (np.arange(max_bursts)[None, :] < count[:, None])
    out = np.zeros((n, len(t)))
    rows = np.flatnonzero(has)
    if rows.size:
        z = (t[None, None, :] - centre[rows, :, None]) / half[rows, :, None]
        out[rows] = np.einsum("nb,nbt->nt", strength[rows], np.exp(-(z**4)))
    return out

def contact_step(rng: np.random.Generator, n: int, t: np.ndarray, probability: float) -> np.ndarray:
    """0 before / 1 after a posture or contact change happening on about ``probability`` of segments."""
    has = rng.random(n) < probability
    at = rng.uniform(t[0], t[-1], n)
    step = 1.0 / (1.0 + np.exp(-(t[None, :] - at[:, None]) / 0.4))
    return step * has[:, None]
