"""Hand-crafted PPG features for one row: rhythm, ensemble-averaged pulse shape, amplitude and spectrum.

Pipeline (per row, valid samples only): interpolate NaNs and remove the linear trend; low-pass 4 Hz
and z-score for beat detection (``scipy.signal.find_peaks`` with a 0.25 s refractory distance and a
relative prominence that drops dicrotic waves; peaks in the first and last 0.15 s are ignored); move
each beat to the systolic maximum of the morphology signal (0.4-12 Hz band-pass, or 12 Hz low-pass for
rows under 10 s, where a high-pass transient would swamp the pulses); find each pulse foot (minimum
before the peak); median-average the z-scored pulses from foot to 85 % of the median cycle (with a
single beat, the cycle comes from the spectral heart rate); upsample the template 4x and read its shape.

Shape features are ratios or times, so they survive any amplitude scale. ``pulse_amplitude``,
``dc_level`` and ``raw_std`` are in store units (the encoder asks for ``normalise="none"`` for this
reason): comparable within a dataset, not across datasets with different units.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from harness_baselines.beats import (
    RHYTHM_FEATURES,
    band_fractions,
    bandpass,
    dominant_bpm,
    moments,
    plausible_intervals,
    prepare_row,
    prominent_peaks,
    refine,
    rhythm_features,
    spectrum,
    stack,
    template_correlation,
    upsample,
    zscore,
)

UPSAMPLE = 4
HIGHPASS_HZ = 0.4
MIN_HIGHPASS_S = 10.0
TEMPLATE_CYCLE_FRACTION = 0.85
BANDS_HZ = (0.04, 0.5, 4.0, 8.0, 16.0)

# (name, neutral value used when the feature cannot be computed). Order is the embedding order.
PPG_FEATURES: tuple[tuple[str, float], ...] = (
    *RHYTHM_FEATURES,
    ("hr_spectral_bpm", 70.0),
    ("rise_time_s", 0.15),
    ("rise_time_frac", 0.18),
    ("width_half_s", 0.30),
    ("reflection_index", 0.5),
    ("stiffness_index_per_s", 4.0),
    ("notch_height", 0.45),
    ("notch_depth", 0.03),
    ("apg_b_a", -0.6),
    ("apg_c_a", -0.1),
    ("apg_d_a", -0.2),
    ("apg_e_a", 0.1),
    ("aging_index", -0.5),
    ("template_corr", 0.0),
    ("pulse_amplitude", 0.0),
    ("dc_level", 0.0),
    ("raw_std", 0.0),
    ("skewness", 0.0),
    ("kurtosis", 0.0),
    ("power_0.04-0.5hz", 0.1),
    ("power_0.5-4hz", 0.8),
    ("power_4-8hz", 0.07),
    ("power_8-16hz", 0.03),
    ("duration_s", 0.0),
    ("morph_ok", 0.0),
    ("notch_found", 0.0),
    ("apg_ok", 0.0),
)


def _crossing(t: np.ndarray, start: int, stop: int, level: float) -> float:
    """Fractional index of the first crossing of ``level`` walking from ``start`` towards ``stop``."""
    step = 1 if stop > start else -1
    idx = np.arange(start, stop, step)
    below = np.nonzero(t[idx] < level)[0]
    if below.size == 0:
        return float("nan")
    i = idx[below[0]]
    j = i - step  # the last sample still above the level
    denom = t[j] - t[i]
    frac = (t[j] - level) / denom if denom != 0 else 0.0
    return float(j + step * frac)


def pulse_shape(template: np.ndarray, fs: float, cycle_s: float) -> dict[str, float]:
    """Shape features of one foot-aligned pulse template (foot at index 0)."""
    t = upsample(template, UPSAMPLE)
    fsu = fs * UPSAMPLE
    n = len(t)
    if n < 8:
        return {}
    sp = int(np.argmax(t[: max(2, int(0.7 * n))]))
    amp = t[sp] - t[0]
    if sp == 0 or not amp > 0:
        return {}
    t = (t - t[0]) / amp
    out = {"morph_ok": 1.0, "rise_time_s": sp / fsu, "rise_time_frac": sp / fsu / cycle_s}
    left, right = _crossing(t, sp, -1, 0.5), _crossing(t, sp, n, 0.5)
    if np.isfinite(left) and np.isfinite(right):
        out["width_half_s"] = (right - left) / fsu

    s0, s1 = sp + round(0.06 * fsu), n - round(0.03 * fsu)
    if s1 - s0 > 3:
        seg = t[s0:s1]
        peaks = sps.find_peaks(seg, prominence=0.005)[0]
        if peaks.size:
            dia = s0 + int(peaks[np.argmax(seg[peaks])])
            notch = sp + int(np.argmin(t[sp:dia + 1]))
            out["notch_found"] = 1.0
        else:  # no diastolic peak: use the inflection (local maximum of the first derivative)
            d1 = np.gradient(t)[s0:s1]
            inflections = sps.find_peaks(d1)[0]
            dia = notch = s0 + int(inflections[np.argmax(d1[inflections])]) if inflections.size else -1
        if dia > sp:
            out.update(reflection_index=t[dia], stiffness_index_per_s=fsu / (dia - sp),
                       notch_height=t[notch], notch_depth=t[dia] - t[notch])
    out.update(_apg(t, sp, fsu))
    return out


def _apg(t: np.ndarray, sp: int, fsu: float) -> dict[str, float]:
    """Second-derivative ("acceleration plethysmogram") wave ratios and the ageing index."""
    d2 = np.gradient(np.gradient(t))
    a_idx = int(np.argmax(d2[: sp + 1]))
    a = d2[a_idx]
    if not a > 0:
        return {}
    b_stop = min(len(d2), sp + round(0.05 * fsu) + 1)
    if b_stop <= a_idx + 1:
        return {}
    b_idx = a_idx + int(np.argmin(d2[a_idx:b_stop]))
    out = {"apg_b_a": d2[b_idx] / a}
    rest = d2[b_idx + 1: int(0.8 * len(d2))]
    if rest.size < 4:
        return out
    maxima = sps.find_peaks(rest, prominence=0.01 * a)[0]
    minima = sps.find_peaks(-rest, prominence=0.01 * a)[0]
    c = maxima[:1]
    d = minima[minima > c[0]][:1] if c.size else minima[:0]
    e = maxima[maxima > d[0]][:1] if d.size else maxima[:0]
    if c.size and d.size and e.size:
        cv, dv, ev = rest[c[0]] / a, rest[d[0]] / a, rest[e[0]] / a
        out.update(apg_c_a=cv, apg_d_a=dv, apg_e_a=ev, aging_index=out["apg_b_a"] - cv - dv - ev,
                   apg_ok=1.0)
    return out


def ppg_row_features(row: np.ndarray, fs: float) -> dict[str, float]:
    """All PPG features of one row of valid samples; missing keys mean "could not be computed"."""
    x, out = prepare_row(row, fs, 8)
    if x is None:
        return out
    out.update(dc_level=float(np.median(x)), raw_std=float(x.std()))
    # A 0.4 Hz high-pass settles in about a second; on short rows (PPG-BP: 2.1 s) its edge transient
    # would be the biggest "pulse", so those are only detrended and low-passed.
    detrended = sps.detrend(x)
    morph = bandpass(detrended, fs, HIGHPASS_HZ if len(x) >= MIN_HIGHPASS_S * fs else 0.0, 12.0)
    z = zscore(morph)
    if z is None:
        return out
    out["skewness"], out["kurtosis"] = moments(z)
    freqs, power = spectrum(x, fs)
    out.update(band_fractions(freqs, power, BANDS_HZ))
    out["hr_spectral_bpm"] = dominant_bpm(freqs, power)

    det = zscore(bandpass(detrended, fs, 0.0, 4.0))  # prominence makes a high-pass unnecessary
    if det is None:
        return out
    peaks = refine(morph, prominent_peaks(det, fs, 0.4, edge_s=0.15), round(0.1 * fs))
    out.update(rhythm_features(peaks, fs))
    rr = plausible_intervals(peaks, fs)
    if rr.size:
        med = float(np.median(rr))
    elif peaks.size and np.isfinite(out["hr_spectral_bpm"]):  # one beat: take the cycle from the spectrum
        med = 60.0 * fs / out["hr_spectral_bpm"]
    else:
        return out
    w = max(2, round(min(0.5 * med, 0.4 * fs)))
    idx = peaks[:, None] - w + np.arange(w + 1)[None, :]
    rows = np.arange(len(peaks))
    foot = np.clip(idx, 0, None)[rows, np.argmin(morph[np.clip(idx, 0, None)], axis=1)]
    real = (foot > 0) | (idx[:, 0] >= 0)  # a minimum at a truncated window's edge is no foot
    peaks, foot = peaks[real], foot[real]
    if foot.size == 0:
        return out
    out["pulse_amplitude"] = float(np.median(morph[peaks] - morph[foot]))
    beats = stack(z, foot, 0, int(np.ceil(TEMPLATE_CYCLE_FRACTION * med)))
    if len(beats) == 0:
        return out
    template = np.median(beats, axis=0) if len(beats) >= 3 else beats.mean(axis=0)
    out["template_corr"] = template_correlation(beats, template)
    out.update(pulse_shape(template, fs, med / fs))
    return out
