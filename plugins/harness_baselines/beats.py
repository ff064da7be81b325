"""Signal helpers shared by the PPG and ECG feature extractors: cleaning, filtering, beat detection,
rhythm (HR/HRV) features, ensemble averaging and whole-signal statistics.

All functions take one row (1-d float64, valid samples only) and never raise on bad input: they return
NaN (or empty arrays) and the caller turns NaN into a neutral value plus an indicator.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy import signal as sps
from scipy.interpolate import make_interp_spline

MIN_RR_S = 0.25   # 240 bpm
MAX_RR_S = 2.4    # 25 bpm


def clean(x: np.ndarray) -> np.ndarray | None:
    """Trim non-finite samples at either end and interpolate interior ones linearly (NaN padding
    and dropouts); ``None`` if fewer than 2 samples are finite."""
    x = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(x)
    if finite.all():
        return x
    where = np.nonzero(finite)[0]
    if where.size < 2:
        return None
    x, finite = x[where[0]: where[-1] + 1], finite[where[0]: where[-1] + 1]
    idx = np.arange(len(x))
    return np.interp(idx, idx[finite], x[finite])


def prepare_row(row: np.ndarray, fs: float, min_samples: int) -> tuple[np.ndarray | None, dict[str, float]]:
    """:func:`clean` a row and start its features: ``(None, {})`` when fewer than ``min_samples`` remain,
    else the cleaned row and ``{"duration_s": ...}`` (finite samples only: NaN padding does not count)."""
    x = clean(row)
    if x is None or len(x) < min_samples:
        return None, {}
    return x, {"duration_s": len(x) / fs}


@lru_cache(maxsize=64)
def _sos(fs: float, lo: float, hi: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Butterworth sections and their initial state (``sosfiltfilt`` recomputes the latter per call,
    which was a third of the filtering time)."""
    nyq = fs / 2.0
    hi = min(hi, 0.9 * nyq)
    if lo <= 0:
        sos = sps.butter(order, hi / nyq, btype="lowpass", output="sos")
    else:
        sos = sps.butter(order, [lo / nyq, hi / nyq], btype="bandpass", output="sos")
    return sos, sps.sosfilt_zi(sos)


def bandpass(x: np.ndarray, fs: float, lo: float, hi: float, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth band-pass: ``scipy.signal.sosfiltfilt`` with its default odd padding,
    inlined so that the cached initial state (``_sos``) is reused; the library call recomputes it and
    makes the handcrafted features 20-40 % slower per row. The output is bitwise the library's
    (``tests/baselines/test_handcrafted.py`` checks). Rows too short to filter are only mean-removed."""
    sos, zi = _sos(float(fs), float(lo), float(hi), order)
    pad = 3 * (2 * len(sos) + 1)
    if len(x) <= pad:
        return x - x.mean()
    ext = np.concatenate([2 * x[0] - x[pad:0:-1], x, 2 * x[-1] - x[-2:-pad - 2:-1]])
    y, _ = sps.sosfilt(sos, ext, zi=zi * ext[0])
    y, _ = sps.sosfilt(sos, y[::-1], zi=zi * y[-1])
    return y[::-1][pad:-pad]


def zscore(x: np.ndarray) -> np.ndarray | None:
    """Z-score a row; ``None`` for a flat one (nothing to detect)."""
    sd = x.std()
    if not np.isfinite(sd) or sd <= 1e-9 * max(1.0, float(np.abs(x).max(initial=0.0))):
        return None
    return (x - x.mean()) / sd


def prominent_peaks(z: np.ndarray, fs: float, rel_prominence: float, edge_s: float = 0.0) -> np.ndarray:
    """Peaks at least ``MIN_RR_S`` apart whose prominence reaches ``rel_prominence`` of the 90th
    percentile prominence: keeps beats, drops dicrotic waves, T waves and noise wiggles. Peaks within
    ``edge_s`` of either end are dropped first (filter edge transients look like beats)."""
    if len(z) < 3:
        return np.empty(0, dtype=np.int64)
    peaks, props = sps.find_peaks(z, distance=max(1, int(MIN_RR_S * fs)), prominence=0.0)
    edge = round(edge_s * fs)
    inside = (peaks >= edge) & (peaks < len(z) - edge)
    peaks, prom = peaks[inside], props["prominences"][inside]
    if len(peaks) == 0:
        return peaks
    return peaks[prom >= rel_prominence * np.percentile(prom, 90)]


def refine(x: np.ndarray, peaks: np.ndarray, half_window: int) -> np.ndarray:
    """Move each peak to the maximum of ``x`` within ``+-half_window`` samples (vectorised)."""
    if len(peaks) == 0 or half_window < 1:
        return peaks
    offsets = np.arange(-half_window, half_window + 1)
    idx = np.clip(peaks[:, None] + offsets[None, :], 0, len(x) - 1)
    refined = idx[np.arange(len(peaks)), np.argmax(x[idx], axis=1)]
    return np.unique(refined)


def plausible_intervals(peaks: np.ndarray, fs: float) -> np.ndarray:
    """Beat-to-beat intervals in samples, only those between ``MIN_RR_S`` and ``MAX_RR_S``."""
    rr = np.diff(peaks)
    return rr[(rr >= MIN_RR_S * fs) & (rr <= MAX_RR_S * fs)]


def rhythm_features(peaks: np.ndarray, fs: float) -> dict[str, float]:
    """Heart rate and variability from beat times; physiologically impossible intervals are dropped.

    RMSSD and pNN50 use only successive differences between two adjacent plausible intervals.
    ``rr_irregularity`` is the fraction of successive differences above 12.5 % of the local interval,
    an AF-style irregularity index.
    """
    out = {"rhythm_ok": 0.0, "hrv_ok": 0.0}
    if len(peaks) < 2:
        return out
    rr = np.diff(peaks) / fs
    ok = (rr >= MIN_RR_S) & (rr <= MAX_RR_S)
    if not ok.any():
        return out
    good = rr[ok]
    out.update(rhythm_ok=1.0, hr_mean_bpm=60.0 / good.mean(), rr_mean_ms=1000.0 * good.mean())
    pair = ok[1:] & ok[:-1]
    if good.size >= 3 and pair.sum() >= 2:
        drr = np.diff(rr)[pair]
        mean_rr = 0.5 * (rr[1:] + rr[:-1])[pair]
        out.update(
            hrv_ok=1.0,
            hr_std_bpm=float(np.std(60.0 / good)),
            sdnn_ms=1000.0 * float(np.std(good)),
            rmssd_ms=1000.0 * float(np.sqrt(np.mean(drr**2))),
            pnn50=float(np.mean(np.abs(drr) > 0.05)),
            rr_cv=float(np.std(good) / good.mean()),
            rr_irregularity=float(np.mean(np.abs(drr) > 0.125 * mean_rr)),
        )
    return out


def stack(x: np.ndarray, anchors: np.ndarray, pre: int, post: int) -> np.ndarray:
    """Beats ``x[a - pre : a + post]`` for every anchor that fits, as a ``(beats, pre + post)`` matrix."""
    anchors = anchors[(anchors - pre >= 0) & (anchors + post <= len(x))]
    if len(anchors) == 0 or pre + post < 2:
        return np.empty((0, max(pre + post, 0)))
    return x[anchors[:, None] + np.arange(-pre, post)[None, :]]


def template_correlation(beats: np.ndarray, template: np.ndarray) -> float:
    """Mean Pearson correlation of each beat with the template: a beat-to-beat consistency index."""
    if len(beats) < 2:
        return float("nan")
    b = beats - beats.mean(axis=1, keepdims=True)
    t = template - template.mean()
    denom = np.sqrt((b**2).sum(axis=1) * (t**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (b @ t) / denom
    r = r[np.isfinite(r)]
    return float(r.mean()) if r.size else float("nan")


def upsample(template: np.ndarray, factor: int) -> np.ndarray:
    """Cubic interpolation of a short template onto a ``factor``-times finer grid."""
    if len(template) < 4 or factor <= 1:
        return template
    t = np.arange(len(template))
    fine = np.linspace(0, len(template) - 1, (len(template) - 1) * factor + 1)
    return make_interp_spline(t, template, k=3)(fine)


def moments(z: np.ndarray) -> tuple[float, float]:
    """Skewness and excess kurtosis of an already z-scored row."""
    z2 = z * z  # multiplications: ``z**3`` goes through pow() and is 50x slower
    return float(np.mean(z2 * z)), float(np.mean(z2 * z2) - 3.0)


def spectrum(x: np.ndarray, fs: float, min_fft: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed, zero-padded power spectrum of a mean-removed row (frequencies, power)."""
    n_fft = max(min_fft, 1 << int(np.ceil(np.log2(max(len(x), 2)))))
    xw = (x - x.mean()) * np.hanning(len(x))
    power = np.abs(np.fft.rfft(xw, n_fft)) ** 2
    return np.fft.rfftfreq(n_fft, 1.0 / fs), power


def band_name(lo: float, hi: float) -> str:
    return f"power_{lo:g}-{hi:g}hz"


def band_fractions(freqs: np.ndarray, power: np.ndarray, edges: tuple[float, ...]) -> dict[str, float]:
    """Fraction of the power between consecutive ``edges`` (Hz) out of the power across all of them,
    keyed by :func:`band_name`; bands above Nyquist get nothing (and so their neutral value)."""
    total = power[(freqs >= edges[0]) & (freqs <= edges[-1])].sum()
    if not np.isfinite(total) or total <= 0:
        return {}
    return {band_name(lo, hi): float(power[(freqs >= lo) & (freqs < hi)].sum() / total)
            for lo, hi in pairwise(edges) if lo < freqs[-1]}


def dominant_bpm(freqs: np.ndarray, power: np.ndarray, lo_hz: float = 0.5, hi_hz: float = 3.7) -> float:
    """Frequency of the spectral peak in the heart-rate band, in beats per minute."""
    band = (freqs >= lo_hz) & (freqs <= hi_hz)
    if not band.any() or power[band].max() <= 0:
        return float("nan")
    return float(60.0 * freqs[band][np.argmax(power[band])])


# Rhythm features shared by PPG and ECG: (name, neutral value used when it cannot be computed).
RHYTHM_FEATURES: tuple[tuple[str, float], ...] = (
    ("hr_mean_bpm", 70.0),
    ("rr_mean_ms", 857.0),
    ("hr_std_bpm", 3.0),
    ("sdnn_ms", 50.0),
    ("rmssd_ms", 35.0),
    ("pnn50", 0.15),
    ("rr_cv", 0.06),
    ("rr_irregularity", 0.1),
    ("rhythm_ok", 0.0),
    ("hrv_ok", 0.0),
)
