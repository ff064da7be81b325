"""Effects measured on the generated signals and beat series point the way the literature says.

Each test measures a feature on the signal (beat-aligned ensemble averages) or on the generated beat
series, never only on the latent it was made from; ~1000 participants x 2 segments per modality.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import spearmanr
from synthetic_helpers import ensemble_beat, rr_stats


def _per_segment(data, label: str) -> np.ndarray:
    return data["cohort"][label].to_numpy()[data["participant"]]


def _pulse_features(data) -> dict[str, np.ndarray]:
    grid, beat = ensemble_beat(data["signal"], data["beats"], 64.0, 0.0, 0.7)
    pulse = beat - beat.min(axis=1, keepdims=True)
    peak = grid[np.argmax(pulse, axis=1)]
    centroid = (pulse * grid).sum(axis=1) / pulse.sum(axis=1)
    return {"late_mass_s": centroid - peak, "amplitude": pulse.max(axis=1)}


def _qrs_and_qt(data) -> dict[str, np.ndarray]:
    grid, beat = ensemble_beat(data["signal"], data["beats"], 128.0, -0.3, 0.6)
    near = (grid > -0.08) & (grid < 0.08)
    g, e = grid[near], beat[:, near]
    q_at = g[np.argmin(np.where(g < 0, e, np.inf), axis=1)]
    s_at = g[np.argmin(np.where(g > 0, e, np.inf), axis=1)]
    t_win = (grid > 0.15) & (grid < 0.6)
    t_peak = grid[t_win][np.argmax(beat[:, t_win], axis=1)]
    hr, _ = rr_stats(data["beats"], data["ectopic"])
    baseline = np.median(beat[:, (grid > -0.3) & (grid < -0.25)], axis=1)
    p_wave = beat[:, (grid > -0.25) & (grid < -0.08)].max(axis=1) - baseline
    return {"q_to_s_s": s_at - q_at, "t_peak_bazett": t_peak / np.sqrt(60.0 / hr), "p_wave_mv": p_wave}


def test_heart_rate_higher_in_women(ppg_cohort, ecg_cohort):
    for data in (ppg_cohort, ecg_cohort):
        hr, _ = rr_stats(data["beats"], data["ectopic"])
        women = _per_segment(data, "sex") == 1
        assert 2.5 < hr[women].mean() - hr[~women].mean() < 8.0


def test_rmssd_falls_with_age(ppg_cohort):
    _, rmssd = rr_stats(ppg_cohort["beats"], ppg_cohort["ectopic"])
    age = _per_segment(ppg_cohort, "age")
    assert spearmanr(rmssd, age)[0] < -0.35
    assert np.median(rmssd[age > 70]) < 0.7 * np.median(rmssd[age < 30])


def test_rmssd_lower_with_diabetes(ppg_cohort):
    _, rmssd = rr_stats(ppg_cohort["beats"], ppg_cohort["ectopic"])
    dm, age = _per_segment(ppg_cohort, "diabetes") == 1, _per_segment(ppg_cohort, "age")
    older = age > 55  # compare within an age band: diabetes itself rises with age
    assert np.median(rmssd[dm & older]) < np.median(rmssd[~dm & older])


def test_reflected_wave_arrives_earlier_with_age(ppg_cohort):
    late = _pulse_features(ppg_cohort)["late_mass_s"]  # pulse centroid after the systolic peak
    age = _per_segment(ppg_cohort, "age")
    assert spearmanr(late, age)[0] < -0.3
    htn = _per_segment(ppg_cohort, "hypertension") == 1
    band = (age > 45) & (age < 65)
    assert late[htn & band].mean() < late[~htn & band].mean()


def test_pulse_amplitude_smaller_with_bmi(ppg_cohort):
    amplitude = _pulse_features(ppg_cohort)["amplitude"]
    assert spearmanr(amplitude, _per_segment(ppg_cohort, "bmi"))[0] < -0.15


def test_ppg_channels_share_the_pulse_but_differ(ppg_cohort):
    x = ppg_cohort["signal"][:200].astype(np.float64)
    x = x - x.mean(axis=2, keepdims=True)
    corr = np.array([np.corrcoef(seg)[np.triu_indices(4, 1)] for seg in x])
    assert np.median(corr) > 0.8
    assert np.median(np.abs(np.diff(ppg_cohort["signal"][:200].mean(axis=2), axis=1))) > 10.0  # offsets
    assert ppg_cohort["signal"][:, :, :].mean() > 500.0  # realistic DC, not z-scored


def test_qrs_wider_in_men_and_qtc_longer_in_women(ecg_cohort):
    feats = _qrs_and_qt(ecg_cohort)
    women = _per_segment(ecg_cohort, "sex") == 1
    sinus = _per_segment(ecg_cohort, "af") == 0
    qrs_diff = feats["q_to_s_s"][~women].mean() - feats["q_to_s_s"][women].mean()
    assert 0.002 < qrs_diff < 0.010
    qt = feats["t_peak_bazett"]
    assert 0.008 < qt[women & sinus].mean() - qt[~women & sinus].mean() < 0.030


def test_af_irregular_rr_and_no_p_waves(ecg_cohort):
    af = _per_segment(ecg_cohort, "af") == 1
    assert 20 < af.sum() < 150
    rr = np.diff(ecg_cohort["beats"], axis=1)
    irregularity = np.nanstd(np.diff(rr, axis=1), axis=1) / np.nanmean(rr, axis=1)
    assert np.median(irregularity[af]) > 3 * np.median(irregularity[~af])
    p_wave = _qrs_and_qt(ecg_cohort)["p_wave_mv"]
    assert np.median(p_wave[af]) < 0.3 * np.median(p_wave[~af])


def test_af_has_fibrillatory_power_at_4_to_9_hz(ecg_cohort):
    af = _per_segment(ecg_cohort, "af") == 1
    x = ecg_cohort["signal"][:, 0].astype(np.float64)
    spec = np.abs(np.fft.rfft(x - x.mean(axis=1, keepdims=True), axis=1)) ** 2
    f = np.fft.rfftfreq(x.shape[1], 1 / 128.0)
    share = spec[:, (f >= 4) & (f <= 9)].sum(axis=1) / spec[:, (f >= 0.5) & (f <= 40)].sum(axis=1)
    assert np.median(share[af]) > np.median(share[~af])


def test_ectopic_beats_are_occasional(ecg_cohort):
    rate = ecg_cohort["ectopic"].sum() / np.isfinite(ecg_cohort["beats"]).sum()
    assert 0.0005 < rate < 0.03


def _icc_like(feature: np.ndarray) -> float:
    """Correlation of a per-segment feature between each participant's first and second segment."""
    return float(np.corrcoef(feature[0::2], feature[1::2])[0, 1])


def test_segments_of_one_participant_resemble_each_other(ppg_cohort, ecg_cohort):
    late = _pulse_features(ppg_cohort)["late_mass_s"]
    qrs = _qrs_and_qt(ecg_cohort)["q_to_s_s"]
    for feature in (late, qrs):
        assert 0.4 < _icc_like(feature) < 0.98  # stable traits, yet segments differ
    hr, _ = rr_stats(ppg_cohort["beats"], ppg_cohort["ectopic"])
    assert 0.3 < _icc_like(hr) < 0.95
    first, second = hr[0::2], hr[1::2]
    assert np.mean(np.abs(first - second)) > 1.0  # heart rate drifts between segments


def test_some_segments_carry_artefacts(ppg_cohort):
    x = ppg_cohort["signal"][:, 0].astype(np.float64)
    diff = np.abs(np.diff(x, axis=1))
    ratio = np.percentile(diff, 99.5, axis=1) / np.median(diff, axis=1)
    assert 0.05 < np.mean(ratio > 2 * np.median(ratio)) < 0.5
