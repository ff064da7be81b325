import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from harness.bootstrap import bootstrap_ci
from harness.errors import DataError
from harness.probe import ProbeConfig, participant_means, run_probe
from harness.tasks import TaskSpec

AGE = TaskSpec(name="age", version=1, label="age", kind="regression", metric="mae", extra_metrics=("r2",))
SEX = TaskSpec(name="sex", version=1, label="sex", kind="classification", metric="auroc")
CFG = ProbeConfig(folds=5, bootstrap=200, seed=0)


def test_participant_means_average_segments_in_first_seen_order():
    emb = np.array([[1.0], [3.0], [10.0], [20.0], [30.0]])
    ids, means = participant_means(emb, np.array(["b", "b", "a", "a", "a"]))
    assert ids.tolist() == ["b", "a"]
    assert means[:, 0].tolist() == [2.0, 20.0]


def test_regression_probe_recovers_a_linear_signal_with_a_tight_ci():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 8))
    y = 50 + 10 * x[:, 0] + rng.standard_normal(400)
    out = run_probe(AGE, x, y, CFG)
    mae = out.scores["mae"]
    assert mae["ci_low"] <= mae["value"] <= mae["ci_high"]
    assert mae["value"] < 1.2 and out.scores["r2"]["value"] > 0.95
    assert len(out.fold_params) == 5 and all("alpha" in p for p in out.fold_params)


def test_noise_features_give_chance_auroc_whose_ci_covers_half():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 16))
    y = rng.integers(0, 2, 300).astype(float)
    out = run_probe(SEX, x, y, CFG)
    auroc = out.scores["auroc"]
    assert auroc["ci_low"] < 0.5 < auroc["ci_high"]


def test_scaler_is_fit_inside_folds_so_the_probe_is_scale_invariant():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 4))
    y = (x[:, 1] + 0.5 * rng.standard_normal(200) > 0).astype(float)
    a = run_probe(SEX, x, y, CFG).scores["auroc"]["value"]
    b = run_probe(SEX, x * np.array([1e3, 1e-3, 5, 1]) + 7, y, CFG).scores["auroc"]["value"]
    assert a == pytest.approx(b, abs=1e-6)


def test_bootstrap_auroc_matches_sklearn_on_the_full_sample():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    s = y + rng.standard_normal(200)
    low, high = bootstrap_ci("auroc", y, s, n=300, seed=0, confidence=0.95)
    assert low < roc_auc_score(y, s) < high


def test_single_class_and_tiny_datasets_are_clear_errors():
    x = np.zeros((20, 2))
    with pytest.raises(DataError, match="only one class"):
        run_probe(SEX, x, np.ones(20), CFG)
    with pytest.raises(DataError, match="too few"):
        run_probe(AGE, x[:6], np.arange(6.0), CFG)


def test_same_seed_same_scores():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((120, 3))
    y = x[:, 0] * 3 + rng.standard_normal(120)
    assert run_probe(AGE, x, y, CFG).scores == run_probe(AGE, x, y, CFG).scores


def test_constant_features_give_exactly_constant_predictions_and_chance_auroc():
    """The prior's per-fold predictions used to differ slightly, giving a spurious AUROC CI around 0.5."""
    y = (np.random.default_rng(5).random(100) < 0.4).astype(float)
    out = run_probe(SEX, np.zeros((100, 1)), y, CFG)
    assert np.unique(out.y_pred).size == 1
    assert out.scores["auroc"] == {"value": 0.5, "ci_low": 0.5, "ci_high": 0.5}
    assert out.diagnostics["constant_predictions"] is True


def test_constant_features_predict_each_training_fold_mean_exactly():
    from sklearn.model_selection import KFold

    y = np.random.default_rng(6).normal(50, 10, 60)
    out = run_probe(AGE, np.full((60, 2), 3.0), y, CFG)
    for train, test in KFold(5, shuffle=True, random_state=0).split(y):
        assert (out.y_pred[test] == np.mean(y[train])).all()
    assert "alpha" not in out.fold_params[0] and "degenerate_tuning" not in out.diagnostics


def test_library_warnings_are_captured_and_edge_tuning_reported():
    """Three participants in a class: inner CV cannot choose C, sklearn floods warnings."""
    import warnings

    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 4))
    y = np.zeros(20)
    y[:3] = 1
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        out = run_probe(SEX, x, y, ProbeConfig(folds=3, bootstrap=50, seed=0))
    assert shown == []
    counts = out.diagnostics["library_warnings"]
    assert counts and all(isinstance(n, int) and n > 0 for n in counts.values())
    tuning = out.diagnostics["degenerate_tuning"]
    assert tuning["parameter"] == "C" and len(tuning["chosen"]) == 3
    assert all(c in (1e-4, 1e3) for c in tuning["chosen"])


def test_informative_features_have_no_diagnostics():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((300, 4))
    y = 50 + 10 * x[:, 0] + rng.standard_normal(300)
    assert run_probe(AGE, x, y, CFG).diagnostics == {}


def test_participant_means_read_a_zarr_array_chunk_by_chunk(tmp_path):
    """The embedding cache's zarr array is averaged in slices: same means as the whole in-memory array."""
    import zarr

    rng = np.random.default_rng(1)
    emb = rng.standard_normal((1000, 8)).astype(np.float32)
    pids = rng.integers(0, 37, 1000).astype(str)
    array = zarr.create_array(str(tmp_path / "e.zarr"), shape=emb.shape, chunks=(64, 8), dtype="float32")
    array[:] = emb
    ids, means = participant_means(emb, pids)
    chunked_ids, chunked = participant_means(array, pids, chunk_rows=100)
    assert (chunked_ids == ids).all()
    np.testing.assert_allclose(chunked, means, rtol=1e-12)
    assert np.isclose(means[0], emb[pids == ids[0]].mean(0)).all()


@pytest.mark.parametrize("layout", ["grouped", "returning", "shuffled"])
def test_participant_means_match_a_plain_average_however_segments_are_ordered(layout):
    """Stores group a participant's segments (a chunk then sums whole runs into a slice); a participant
    may also come back after others ("returning": a later chunk's codes rise but skip some) or rows may be in any
    order. Every layout gives each participant the plain mean of its rows."""
    rng = np.random.default_rng(3)
    pids = np.repeat(np.arange(40), rng.integers(1, 9, 40)).astype(str)
    if layout == "returning":
        pids = np.concatenate([pids, pids[np.isin(pids, np.arange(0, 40, 3).astype(str))]])
    elif layout == "shuffled":
        pids = rng.permutation(pids)
    emb = rng.standard_normal((len(pids), 6)).astype(np.float32)
    ids, means = participant_means(emb, pids, chunk_rows=16)
    assert ids.tolist() == list(dict.fromkeys(pids))
    for pid, mean in zip(ids, means, strict=True):
        np.testing.assert_allclose(mean, emb[pids == pid].astype(np.float64).mean(0), rtol=1e-12)
