"""The handcrafted baseline: known heart rates, HRV direction, morphology direction, robustness."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from harness.errors import UsageError
from harness_baselines.handcrafted import make_handcrafted

PPG_FS, PPG_N = 64.0, 3840
ECG_FS, ECG_N = 128.0, 3840


def features(encoder, batch) -> list[dict[str, float]]:
    out = encoder.embed(batch)
    return [dict(zip(encoder.feature_names, row.tolist())) for row in out]


@pytest.mark.parametrize("hr", [48.0, 75.0, 120.0, 170.0])
def test_ppg_heart_rate(ppg_encoder, synth, hr):
    batch = synth.make_batch([synth.pulse_train(hr, noise=0.05)], PPG_FS, PPG_N)
    f = features(ppg_encoder, batch)[0]
    assert f["rhythm_ok"] == 1.0
    assert abs(f["hr_mean_bpm"] - hr) <= 2.0
    assert abs(f["hr_spectral_bpm"] - hr) <= 2.0
    assert f["morph_ok"] == 1.0


@pytest.mark.parametrize("hr", [45.0, 75.0, 120.0, 170.0])
def test_ecg_heart_rate_either_polarity(ecg_encoder, synth, hr):
    x = synth.qrs_train(hr)
    upright, inverted = features(ecg_encoder, synth.make_batch([x, -x], ECG_FS, ECG_N))
    for f in (upright, inverted):
        assert abs(f["hr_mean_bpm"] - hr) <= 2.0
    assert upright["r_amplitude"] == pytest.approx(0.86, abs=0.15)  # a 1 mV R, smoothed by 0.5-40 Hz
    assert inverted["r_amplitude"] == pytest.approx(-upright["r_amplitude"], rel=0.05)


def test_rmssd_larger_for_irregular_rhythm(ppg_encoder, ecg_encoder, synth):
    ppg = features(ppg_encoder, synth.make_batch(
        [synth.pulse_train(72), synth.pulse_train(72, jitter=0.12, seed=3)], PPG_FS, PPG_N))
    ecg = features(ecg_encoder, synth.make_batch(
        [synth.qrs_train(72), synth.qrs_train(72, jitter=0.12, seed=3)], ECG_FS, ECG_N))
    for regular, irregular in (ppg, ecg):
        assert irregular["hrv_ok"] == regular["hrv_ok"] == 1.0
        assert irregular["rmssd_ms"] > 3 * regular["rmssd_ms"]
        assert irregular["sdnn_ms"] > regular["sdnn_ms"]
        assert irregular["rr_irregularity"] > regular["rr_irregularity"]


def test_ppg_morphology_points_the_right_way(ppg_encoder, synth):
    weak, strong = features(ppg_encoder, synth.make_batch(
        [synth.pulse_train(65, reflection=0.3), synth.pulse_train(65, reflection=0.7)], PPG_FS, PPG_N))
    assert strong["reflection_index"] > weak["reflection_index"] + 0.2
    assert weak["notch_found"] == strong["notch_found"] == 1.0
    small, large = features(ppg_encoder, synth.make_batch(
        [synth.pulse_train(65, amplitude=20.0), synth.pulse_train(65, amplitude=200.0)], PPG_FS, PPG_N))
    assert large["pulse_amplitude"] == pytest.approx(10 * small["pulse_amplitude"], rel=0.02)
    assert large["rise_time_s"] == pytest.approx(small["rise_time_s"], abs=1e-6)  # shape is scale-free


def test_ecg_morphology_points_the_right_way(ecg_encoder, synth):
    narrow, wide, no_p = features(ecg_encoder, synth.make_batch(
        [synth.qrs_train(70), synth.qrs_train(70, qrs_scale=1.6), synth.qrs_train(70, p_amp=0.0)],
        ECG_FS, ECG_N))
    assert wide["qrs_ms"] > narrow["qrs_ms"] + 10
    assert narrow["p_found"] == 1.0 and no_p["p_found"] == 0.0
    assert 120 <= narrow["pr_ms"] <= 220
    assert narrow["t_found"] == 1.0 and 330 <= narrow["qt_ms"] <= 470


def test_features_finite_for_degenerate_rows(ppg_encoder, synth):
    rng = np.random.default_rng(0)
    good = synth.pulse_train(72)
    nan_padded = np.full(PPG_N, np.nan)
    nan_padded[:1500] = good[:1500]
    dropout = good.copy()
    dropout[500:700] = np.nan
    rows = [good, np.zeros(PPG_N), np.full(PPG_N, 3.3), nan_padded, dropout,
            rng.standard_normal(PPG_N), np.full(PPG_N, np.inf), np.zeros(PPG_N), good]
    n_valid = [PPG_N] * 7 + [0, 3]
    out = ppg_encoder.embed(synth.make_batch(rows, PPG_FS, PPG_N, n_valid=n_valid))
    assert out.shape == (len(rows), ppg_encoder.embedding_dim) and out.dtype == np.float32
    assert np.isfinite(out).all()
    f = [dict(zip(ppg_encoder.feature_names, r.tolist())) for r in out]
    for flat in (f[1], f[2], f[6], f[7], f[8]):
        assert flat["rhythm_ok"] == flat["morph_ok"] == 0.0
    assert abs(f[3]["hr_mean_bpm"] - 72) <= 2 and f[3]["duration_s"] == pytest.approx(1500 / PPG_FS)
    assert abs(f[4]["hr_mean_bpm"] - 72) <= 2


def test_short_ppg_bp_like_row(ppg_encoder, synth):
    # PPG-BP: 2.1 s at 1 kHz, resampled to 64 Hz = 134 samples, zero-padded to 60 s.
    short = synth.pulse_train(80, duration_s=2.1)[:134]
    f = features(ppg_encoder, synth.make_batch([short], PPG_FS, PPG_N))[0]
    assert f["duration_s"] == pytest.approx(134 / PPG_FS)
    assert f["rhythm_ok"] == 1.0 and abs(f["hr_mean_bpm"] - 80) <= 3
    assert f["morph_ok"] == 1.0 and f["hrv_ok"] == 0.0


def test_ecg_degenerate_rows_finite(ecg_encoder, synth):
    rows = [np.zeros(ECG_N), synth.qrs_train(70, duration_s=1.0),
            np.random.default_rng(1).standard_normal(ECG_N), np.full(ECG_N, np.nan)]
    out = ecg_encoder.embed(synth.make_batch(rows, ECG_FS, ECG_N))
    assert out.shape == (4, ecg_encoder.embedding_dim) and np.isfinite(out).all()


def test_padding_beyond_n_valid_is_ignored(ppg_encoder, synth):
    x = synth.pulse_train(66)
    batch = synth.make_batch([x, x], PPG_FS, PPG_N, n_valid=[2000, 2000])
    batch.signal[1, 0, 2000:] = 1e6  # garbage after the valid part
    a, b = ppg_encoder.embed(batch)
    np.testing.assert_array_equal(a, b)


def test_multichannel_rows_are_averaged(ppg_encoder, synth):
    x = synth.pulse_train(70)
    batch = synth.make_batch([x], PPG_FS, PPG_N)
    two = synth.make_batch([x], PPG_FS, PPG_N)
    two.signal = np.concatenate([batch.signal * 0.5, batch.signal * 1.5], axis=1)
    np.testing.assert_allclose(ppg_encoder.embed(two), ppg_encoder.embed(batch), rtol=1e-4, atol=1e-4)


def test_describe_revision_and_contract(synth):
    from harness.encoders import Encoder

    ppg_a, ppg_b, ecg = (make_handcrafted(modality=m) for m in ("ppg", "ppg", "ecg"))
    assert isinstance(ppg_a, Encoder)
    assert ppg_a.revision == ppg_b.revision != ecg.revision
    d = json.loads(json.dumps(ppg_a.describe()))
    assert d["feature_order"] == list(ppg_a.feature_names) and len(d["feature_order"]) == ppg_a.embedding_dim
    assert ppg_a.input_spec.fs == 64.0 and ppg_a.input_spec.samples == PPG_N
    assert ecg.input_spec.fs == 128.0 and ecg.input_spec.samples == ECG_N
    assert ppg_a.training_datasets == ()
    with pytest.raises(UsageError, match="checkpoint"):
        make_handcrafted(modality="ppg", checkpoint="w.safetensors")
    with pytest.raises(UsageError, match="modality"):
        make_handcrafted(modality="eeg")


def test_throughput_ppg(ppg_encoder, synth):
    rows = [synth.pulse_train(55 + i, jitter=0.03, seed=i, noise=0.05) for i in range(64)]
    batch = synth.make_batch(rows, PPG_FS, PPG_N)
    start = time.perf_counter()
    out = ppg_encoder.embed(batch)
    rate = len(rows) / (time.perf_counter() - start)
    print(f"handcrafted PPG: {rate:.0f} segments/s (60 s at 64 Hz)")
    assert np.isfinite(out).all()
    assert rate > 50  # target >= 200/s on an idle core; loose bound for loaded CI machines


@pytest.mark.parametrize(("fs", "lo", "hi", "n"), [(64.0, 0.5, 12.0, 3840), (64.0, 0.0, 4.0, 3840),
                                                   (300.0, 5.0, 18.0, 9000), (1000.0, 0.5, 12.0, 2100)])
def test_bandpass_is_scipy_sosfiltfilt(fs, lo, hi, n):
    """``beats.bandpass`` inlines ``scipy.signal.sosfiltfilt`` (odd padding) only to reuse the initial
    state; its output must stay bitwise identical to the library's."""
    from scipy import signal as sps

    from harness_baselines.beats import _sos, bandpass

    x = np.random.default_rng(int(fs + n)).standard_normal(n).cumsum()
    sos, _ = _sos(fs, lo, hi, 2)
    assert np.array_equal(bandpass(x, fs, lo, hi), sps.sosfiltfilt(sos, x))  # scipy's default padding
