"""Hand-crafted ECG features for one row: rhythm, averaged-beat intervals and amplitudes, spectrum.

Pipeline (per row, valid samples only): interpolate NaNs; 0.5-40 Hz band-pass for morphology; a
Pan-Tompkins-style energy envelope (5-18 Hz band-pass, squared slope, 0.12 s moving average) for R
detection with ``scipy.signal.find_peaks`` (0.25 s refractory distance, relative prominence); each R
moved to the dominant deflection of the morphology signal, with the lead's polarity taken from the
majority of beats; median beat from R - 0.3 s to R + 0.5 s, upsampled 4x.

On the averaged beat: QRS onset/offset where the smoothed absolute slope falls below 12 % of its
QRS maximum; the isoelectric level is the template just before QRS onset; T peak and T end (tangent
method) after the QRS; P peak, onset and offset before it. Intervals are estimates for a probe, not a
diagnostic measurement. Amplitudes are in store units (mV for the built-in stores; the encoder asks
for ``normalise="none"`` to keep them). ``p_consistency`` (mean correlation of each beat's P region
with the template's) and ``rr_irregularity`` are the AF-oriented features.
"""

from __future__ import annotations

import numpy as np

from harness_baselines.beats import (
    RHYTHM_FEATURES,
    band_fractions,
    bandpass,
    moments,
    plausible_intervals,
    prepare_row,
    prominent_peaks,
    rhythm_features,
    spectrum,
    stack,
    template_correlation,
    upsample,
    zscore,
)

UPSAMPLE = 4
PRE_S, POST_S = 0.3, 0.5
BANDS_HZ = (0.05, 0.5, 4.0, 9.0, 40.0, 64.0)

# (name, neutral value used when the feature cannot be computed). Order is the embedding order.
ECG_FEATURES: tuple[tuple[str, float], ...] = (
    *RHYTHM_FEATURES,
    ("r_amplitude", 1.0),
    ("qrs_ms", 95.0),
    ("qt_ms", 390.0),
    ("qtc_ms", 420.0),
    ("pr_ms", 160.0),
    ("p_duration_ms", 100.0),
    ("p_amplitude", 0.1),
    ("p_consistency", 0.5),
    ("t_amplitude", 0.3),
    ("template_corr", 0.0),
    ("raw_std", 0.0),
    ("skewness", 0.0),
    ("kurtosis", 0.0),
    ("power_0.05-0.5hz", 0.05),
    ("power_0.5-4hz", 0.35),
    ("power_4-9hz", 0.25),
    ("power_9-40hz", 0.33),
    ("power_40-64hz", 0.02),
    ("duration_s", 0.0),
    ("morph_ok", 0.0),
    ("p_found", 0.0),
    ("t_found", 0.0),
)


def _energy_envelope(x: np.ndarray, fs: float) -> np.ndarray:
    slope = np.gradient(bandpass(x, fs, 5.0, 18.0)) ** 2
    width = max(1, round(0.12 * fs))
    return np.convolve(slope, np.ones(width) / width, mode="same")


def _r_peaks(x: np.ndarray, morph: np.ndarray, fs: float) -> np.ndarray:
    """R peak indices on the dominant deflection (the lead polarity is the majority of beats')."""
    env = zscore(_energy_envelope(x, fs))
    if env is None:
        return np.empty(0, dtype=np.int64)
    peaks = prominent_peaks(env, fs, 0.3)
    if peaks.size == 0:
        return peaks
    half = round(0.08 * fs)
    offsets = np.arange(-half, half + 1)
    idx = np.clip(peaks[:, None] + offsets[None, :], 0, len(morph) - 1)
    rows = np.arange(len(peaks))
    at_abs = idx[rows, np.argmax(np.abs(morph[idx]), axis=1)]
    polarity = 1.0 if np.median(morph[at_abs]) >= 0 else -1.0
    r = idx[rows, np.argmax(polarity * morph[idx], axis=1)]
    return np.unique(r)


def _slope_envelope(t: np.ndarray, fsu: float) -> np.ndarray:
    width = max(1, round(0.016 * fsu))
    return np.convolve(np.abs(np.gradient(t)), np.ones(width) / width, mode="same")


def beat_morphology(beats: np.ndarray, fs: float, rr_s: float) -> dict[str, float]:
    """Intervals and amplitudes from the median beat (R at ``PRE_S``); ``beats`` in store units."""
    template = np.median(beats, axis=0) if len(beats) >= 3 else beats.mean(axis=0)
    t = upsample(template, UPSAMPLE)
    fsu = fs * UPSAMPLE
    r = round(PRE_S * fsu)
    ms = 1000.0 / fsu
    slope = _slope_envelope(t, fsu)
    near = slice(max(0, r - round(0.06 * fsu)), r + round(0.06 * fsu))
    threshold = 0.12 * slope[near].max()
    if not threshold > 0:
        return {}
    before = np.nonzero(slope[max(0, r - round(0.12 * fsu)):r] < threshold)[0]
    after = np.nonzero(slope[r:r + round(0.12 * fsu)] < threshold)[0]
    onset = max(0, r - round(0.12 * fsu)) + (before[-1] if before.size else 0)
    offset = r + (after[0] if after.size else round(0.12 * fsu))
    iso = t[max(0, onset - round(0.02 * fsu)):onset + 1].mean()
    t = t - iso
    out = {"morph_ok": 1.0, "r_amplitude": t[r], "qrs_ms": (offset - onset) * ms,
           "template_corr": template_correlation(beats, template)}
    # Noise floor of the template: standard error of the median beat, from the beat-to-beat scatter.
    se = float(np.median(beats.std(axis=0))) / np.sqrt(max(len(beats), 1))
    floor = max(3.0 * se, 0.03 * abs(out["r_amplitude"]))  # T (and P, with twice the R share) must
    p_floor = max(3.0 * se, 0.06 * abs(out["r_amplitude"]))  # clear beat-to-beat scatter to count

    t_lo, t_hi = offset + round(0.04 * fsu), min(len(t), r + round(min(0.45, 0.7 * rr_s) * fsu))
    if t_hi - t_lo > 2:
        tp = t_lo + int(np.argmax(np.abs(t[t_lo:t_hi])))
        out["t_amplitude"] = t[tp]
        if abs(t[tp]) > floor:
            out["t_found"] = 1.0
            # Tangent method: steepest descent from the T peak back to (10 % of) the baseline.
            sign = np.sign(t[tp])
            stop = min(len(t), tp + round(0.15 * fsu))
            back = np.nonzero(sign * t[tp:stop] < 0.1 * abs(t[tp]))[0]
            stop = tp + int(back[0]) + 1 if back.size else stop
            d1 = np.gradient(t)
            k = tp + int(np.argmax(-sign * d1[tp:stop]))
            slope_k = d1[k]
            if slope_k != 0:
                t_end = min(max(k - t[k] / slope_k, tp), len(t) - 1)
                qt_s = (t_end - onset) / fsu
                out.update(qt_ms=qt_s * 1000.0, qtc_ms=qt_s / np.sqrt(rr_s) * 1000.0)

    p_lo, p_hi = max(0, onset - round(min(0.25, 0.33 * rr_s) * fsu)), onset - round(0.02 * fsu)
    if p_hi - p_lo > 2:
        pp = p_lo + int(np.argmax(np.abs(t[p_lo:p_hi])))
        p_amp = t[pp]
        out["p_amplitude"] = p_amp
        lo_b, hi_b = p_lo // UPSAMPLE, max(p_lo // UPSAMPLE + 2, p_hi // UPSAMPLE)
        out["p_consistency"] = template_correlation(beats[:, lo_b:hi_b], template[lo_b:hi_b])
        if abs(p_amp) > p_floor:
            out["p_found"] = 1.0
            small = np.abs(t) < 0.3 * abs(p_amp)
            left = np.nonzero(small[p_lo:pp])[0]
            right = np.nonzero(small[pp:p_hi])[0]
            p_on = p_lo + (left[-1] if left.size else 0)
            p_off = pp + (right[0] if right.size else p_hi - pp)
            out.update(pr_ms=(onset - p_on) * ms, p_duration_ms=(p_off - p_on) * ms)
    return out


def ecg_row_features(row: np.ndarray, fs: float) -> dict[str, float]:
    """All ECG features of one row of valid samples; missing keys mean "could not be computed"."""
    x, out = prepare_row(row, fs, 16)
    if x is None:
        return out
    morph = bandpass(x, fs, 0.5, 40.0)
    z = zscore(morph)
    if z is None:
        return out
    out["raw_std"] = float(x.std())
    out["skewness"], out["kurtosis"] = moments(z)
    freqs, power = spectrum(x, fs)
    out.update(band_fractions(freqs, power, BANDS_HZ))

    peaks = _r_peaks(x, morph, fs)
    out.update(rhythm_features(peaks, fs))
    rr = plausible_intervals(peaks, fs)
    if rr.size == 0:
        return out
    beats = stack(morph, peaks, round(PRE_S * fs), round(POST_S * fs))
    if len(beats) == 0:
        return out
    out.update(beat_morphology(beats, fs, float(np.median(rr)) / fs))
    return out
