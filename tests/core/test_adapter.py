import numpy as np

from harness.adapter import adapt, adaptation_policy, mean_by_row
from harness.encoders import InputSpec


def test_resample_crop_and_zscore():
    fs_in, spec = 256.0, InputSpec("ecg", 1, 128.0, 10.0)
    t = np.arange(int(fs_in * 12)) / fs_in
    x = (5 + 2 * np.sin(2 * np.pi * 3 * t))[None, None, :].astype(np.float32)
    out = adapt(x, np.array([x.shape[-1]]), fs_in, spec, long_policy="crop")
    assert out.signal.shape == (1, 1, 1280)
    assert abs(out.signal.mean()) < 1e-3 and abs(out.signal.std() - 1) < 1e-2
    assert out.policy["target_fs"] == 128.0 and out.policy["long_policy"] == "crop"


def test_long_recordings_become_windows_that_average_back():
    spec = InputSpec("ppg", 1, 10.0, 2.0)
    x = np.random.default_rng(0).standard_normal((2, 1, 65)).astype(np.float32)
    out = adapt(x, np.array([65, 65]), 10.0, spec)
    assert out.row_of.tolist() == [0, 0, 0, 1, 1, 1]
    emb = np.arange(12, dtype=np.float32).reshape(6, 2)
    np.testing.assert_allclose(mean_by_row(emb, out.row_of, 2), [[2, 3], [8, 9]])


def test_short_recordings_are_padded_and_valid_length_kept():
    spec = InputSpec("ppg", 4, 64.0, 60.0)
    x = np.full((1, 1, 300), np.nan, dtype=np.float32)
    x[0, 0, :134] = np.random.default_rng(1).standard_normal(134)
    out = adapt(x, np.array([134]), 64.0, spec)
    assert out.signal.shape == (1, 4, 3840) and out.n_valid.tolist() == [134]
    assert np.isfinite(out.signal).all() and (out.signal[0, :, 134:] == 0).all()
    assert "repeated" in out.policy["channels"]


def test_many_channels_to_one_is_their_mean():
    spec = InputSpec("ppg", 1, 64.0, 1.0, normalise="none")
    x = np.stack([np.ones((1, 64)), 3 * np.ones((1, 64))], axis=1).astype(np.float32)
    out = adapt(x, np.array([64]), 64.0, spec)
    np.testing.assert_allclose(out.signal, 2.0)


def test_preferred_channels_are_picked_by_name():
    spec = InputSpec("ecg", 1, 100.0, 1.0, normalise="none", preferred_channels=("I",))
    x = np.stack([np.full((1, 100), float(i)) for i in range(12)], axis=1).astype(np.float32)
    names = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    out = adapt(x, np.array([100]), 100.0, spec, channel_names=names)
    np.testing.assert_allclose(out.signal, 0.0)
    assert "by name" in out.policy["channels"]
    out = adapt(x[:, 1:], np.array([100]), 100.0, spec, channel_names=names[1:])
    assert out.policy["channels"] == "mean of 11 channels"


def test_policy_is_known_before_reading_any_signal():
    """The policy recorded in results (and hashed into cache keys) equals what adapt() reports."""
    cases = [(InputSpec("ppg", 4, 64.0, 60.0), 4, None), (InputSpec("ppg", 1, 64.0, 60.0), 4, None),
             (InputSpec("ppg", 4, 64.0, 60.0), 2, None), (InputSpec("ppg", 2, 64.0, 60.0), 4, None),
             (InputSpec("ecg", 1, 128.0, 30.0, preferred_channels=("I",)), 3, ["II", "I", "V1"]),
             (None, 4, None)]
    for spec, channels, names in cases:
        x = np.random.default_rng(0).normal(size=(2, channels, 500)).astype(np.float32)
        done = adapt(x, np.array([500, 400]), 100.0, spec, channel_names=names).policy
        assert adaptation_policy(100.0, spec, channels=channels, channel_names=names) == done


def test_huge_amplitudes_zscore_like_unit_ones_without_overflow():
    """Amplitudes near 1e30 used to overflow the float32 square: std inf, the input became zeros."""
    import warnings

    from harness.adapter import zscore

    x = np.random.default_rng(5).standard_normal((3, 4, 640)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        huge = zscore(x * np.float32(1e30))
        spec = InputSpec("ppg", 4, 64.0, 10.0)
        adapted = adapt(x * np.float32(1e30), np.full(3, 640), 64.0, spec).signal
    np.testing.assert_allclose(huge, zscore(x), atol=1e-5)
    np.testing.assert_allclose(adapted, adapt(x, np.full(3, 640), 64.0, spec).signal, atol=1e-5)
    assert np.abs(huge).max() > 1


def test_mean_of_channels_on_padded_records_warns_nothing():
    """A record padded with NaN beyond n_samples (all channels) used to warn "Mean of empty slice"."""
    import warnings

    x = np.random.default_rng(6).standard_normal((2, 4, 640)).astype(np.float32)
    x[1, :, 320:] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = adapt(x, np.array([640, 320]), 64.0, InputSpec("ppg", 1, 64.0, 10.0))
    np.testing.assert_allclose(out.signal[0, 0], ((x[0].mean(0) - x[0].mean()) / x[0].mean(0).std()), atol=1e-4)
    assert out.n_valid.tolist() == [640, 320] and np.isfinite(out.signal).all()
    assert (out.signal[1, 0, 320:] == 0).all()
