"""Per-segment labels in the store, and window-level tasks scored with participant-disjoint folds."""

from __future__ import annotations

import json

import numpy as np
import pytest

import harness
from harness.errors import DataError
from harness.probe import ProbeConfig
from harness.store.reader import open_store, validate_store
from harness.store.writer import StoreWriter
from harness.tasks import TaskSpec

#: the revision the store of ``_tiny_store(labels=False)`` had before segment labels existed (computed
#: with the code of commit 2a2cce0): stores without segment labels keep their revision
OLD_REVISION = "ce4df2f121b1121cfba14859"

HR_TASK = TaskSpec(name="hr-window", version=1, label="hr-window", kind="regression", metric="mae",
                   level="segment", extra_metrics=("r2",))


def _tiny_store(path, *, labels: bool):
    rng = np.random.default_rng(3)
    kinds = {"hr-window": "numeric", "activity": "categorical", "quality": "binary"} if labels else None
    w = StoreWriter(path, dataset="tiny", modality="ppg", fs=32.0, channel_names=["ppg"], samples=64,
                    units="au", source="test", license="CC0", chunk_segments=4, shard_segments=8,
                    segment_labels=kinds, segment_categories={"activity": ["sit", "walk"]} if labels else None)
    sig = rng.standard_normal((10, 1, 64)).astype(np.float32)
    extra = {"hr-window": np.arange(10) + 60.0, "activity": ["sit", "walk"] * 5,
             "quality": [1, 0, 1, np.nan, 1, 1, 0, 1, 1, 1]} if labels else None
    w.append(sig, [f"p{i // 2}" for i in range(10)], t_start=np.arange(10.0), segment_labels=extra)
    w.set_participants({"participant_id": [f"p{i}" for i in range(5)], "age": [20, 30, 40, 50, 60]})
    return open_store(w.close())


def test_old_stores_keep_their_revision_and_have_no_segment_labels(tmp_path):
    store = _tiny_store(tmp_path / "s", labels=False)
    assert store.revision == OLD_REVISION
    assert store.segment_labels == [] and "segment_labels" not in store.attrs


def test_segment_labels_round_trip_validate_and_change_the_revision(tmp_path):
    store = _tiny_store(tmp_path / "s", labels=True)
    assert validate_store(store.path) == []
    assert store.revision != OLD_REVISION
    assert store.segment_labels == ["hr-window", "activity", "quality"]
    assert store.segment_label_kind("activity") == "categorical"
    assert store.segment_label_categories("activity") == ["sit", "walk"]
    np.testing.assert_array_equal(store.segment_label("hr-window"), np.arange(10) + 60.0)
    np.testing.assert_array_equal(store.segment_label("activity"), [0, 1] * 5)
    assert np.isnan(store.segment_label("quality")[3])
    table = store.segment_label_table
    assert list(table.columns) == ["participant_id", "hr-window", "activity", "quality"] and len(table) == 10
    with pytest.raises(DataError, match="no segment label 'x'"):
        store.segment_label("x")


def test_store_checks_refuse_damaged_segment_labels(tmp_path):
    import zarr

    store = _tiny_store(tmp_path / "s", labels=True)
    group = zarr.open_group(str(store.path), mode="r+")
    group["activity"][0] = 7.0  # a code with no category
    assert any("codes outside 0..1" in p for p in validate_store(store.path))
    attrs = dict(group.attrs)
    group.attrs.update(segment_labels=[*attrs["segment_labels"], "gone"],
                       segment_label_kinds={**attrs["segment_label_kinds"], "gone": "numeric"})
    assert any("segment label array 'gone' is missing" in p for p in validate_store(store.path))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"segment_labels": {"signal": "numeric"}}, "not allowed"),
    ({"segment_labels": {"a": "ordinal"}}, "kind 'ordinal'"),
    ({"segment_labels": {"a": "categorical"}}, "lists no categories"),
])
def test_writer_refuses_bad_declarations(tmp_path, kwargs, message):
    with pytest.raises(DataError, match=message):
        StoreWriter(tmp_path / "s", dataset="x", modality="ppg", fs=32.0, channel_names=["ppg"], samples=8,
                    units="au", source="t", license="CC0", **kwargs)


def test_writer_refuses_bad_values(tmp_path):
    w = StoreWriter(tmp_path / "s", dataset="x", modality="ppg", fs=32.0, channel_names=["ppg"], samples=8,
                    units="au", source="t", license="CC0", segment_labels={"q": "binary", "a": "categorical"},
                    segment_categories={"a": ["x"]})
    sig = np.zeros((2, 1, 8), np.float32)
    with pytest.raises(DataError, match="other than 0/1"):
        w.append(sig, ["p", "p"], segment_labels={"q": [0, 2]})
    with pytest.raises(DataError, match="not among its categories"):
        w.append(sig, ["p", "p"], segment_labels={"a": ["x", "y"]})
    with pytest.raises(DataError, match="were not declared"):
        w.append(sig, ["p", "p"], segment_labels={"z": [0, 1]})
    with pytest.raises(DataError, match="2 segments"):
        w.append(sig, ["p", "p"], segment_labels={"q": [0]})
    with pytest.raises(DataError, match="both a participant label and a segment label"):
        w.set_participants({"participant_id": ["p"], "q": [1]})
    w.abort()


def _hr_store(path, participants: int = 8, windows: int = 12):
    """Windows whose pulse frequency is their heart rate: a segment task the handcrafted encoder can learn."""
    fs, samples = 32.0, 256
    rng = np.random.default_rng(0)
    t = np.arange(samples) / fs
    w = StoreWriter(path, dataset="hr-demo", modality="ppg", fs=fs, channel_names=["ppg"], samples=samples,
                    units="au", source="test", license="CC0", segment_labels={"hr-window": "numeric"})
    for p in range(participants):
        hr = rng.uniform(55, 150, windows)
        hr[0] = np.nan  # an unlabelled window is left out, not scored
        sig = np.stack([np.sin(2 * np.pi * (np.nan_to_num(h, nan=80.0) / 60) * t) for h in hr])
        sig += 0.05 * rng.standard_normal(sig.shape)
        w.append(sig[:, None, :], [f"s{p}"] * windows, t_start=np.arange(windows) * 2.0,
                 segment_labels={"hr-window": hr})
    w.set_participants({"participant_id": [f"s{p}" for p in range(participants)],
                        "age": rng.uniform(20, 70, participants)})
    return w.close()


def test_segment_task_runs_end_to_end_with_participant_disjoint_folds(tmp_path, monkeypatch):
    from harness import segment_probe

    path = _hr_store(tmp_path / "store")
    seen: list[tuple[set, set]] = []
    real = segment_probe._splitters

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def get_n_splits(self, *args, **kwargs):
            return self.inner.get_n_splits(*args, **kwargs)

        def split(self, x, y, groups):
            for train, test in self.inner.split(x, y, groups):
                seen.append((set(groups[train]), set(groups[test])))
                yield train, test

    monkeypatch.setattr(segment_probe, "_splitters", lambda *a: Recording(real(*a)))
    results = harness.evaluate(encoders=["handcrafted"], tasks=["hr-window"], dataset=str(path),
                               output=tmp_path / "results", folds=3, bootstrap=50, progress=False)
    (result,) = results
    # outer and inner splits alike: no participant on both sides
    assert len(seen) >= 3 and all(not (train & test) for train, test in seen)
    assert result.counts.participants == 8 and result.counts.segments == 8 * 11
    ids = result.predictions.participant_id
    assert len(ids) == 88 and len(set(ids)) == 88 and all("#" in i for i in ids)
    assert result.config["aggregation"].startswith("none")
    mae = result.scores["mae"]
    assert mae.ci_low <= mae.value <= mae.ci_high
    # the label range is 95 bpm wide: a probe that learned nothing has an MAE near 24
    assert mae.value < 15, mae
    payload = json.loads(result.path.read_text())
    assert payload["task"]["level"] == "segment" and payload["counts"]["unit"] == "segment"
    assert harness.results.load_result(result.path).task.name == "hr-window"
    # the leaderboard re-derives the scores from the per-segment predictions (participant-cluster bootstrap)
    from harness.rederive import rederivation_problems

    assert rederivation_problems(harness.results.load_result(result.path)) == []


def test_segment_task_refuses_store_without_its_label(tmp_path):
    path = _hr_store(tmp_path / "store")
    from harness.runner import read_task_targets

    store = open_store(path)
    task = TaskSpec(name="signal-quality", version=1, label="quality", kind="classification", metric="auroc",
                    level="segment")
    with pytest.raises(DataError, match=r"needs segment label 'quality'.*its segment labels: hr-window"):
        read_task_targets(task, store, 3)


def test_cluster_bootstrap_resamples_participants():
    from harness.segment_probe import cluster_bootstrap_ci, run_segment_probe

    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(12), 20).astype(str)
    x = rng.standard_normal((240, 3))
    y = x[:, 0] * 10 + 70 + rng.standard_normal(240)
    outcome = run_segment_probe(HR_TASK, x, y, groups, ProbeConfig(folds=3, bootstrap=100))
    assert outcome.scores["mae"]["value"] < 2
    # a participant-level offset: the cluster bootstrap sees 12 units, so its CI is wider than a
    # segment bootstrap's on the same predictions
    offset = np.repeat(rng.normal(0, 5, 12), 20)
    pred = y + offset
    low, high = cluster_bootstrap_ci("mae", y, pred, groups, n=300, seed=0, confidence=0.95)
    seg_low, seg_high = cluster_bootstrap_ci("mae", y, pred, np.arange(240).astype(str), n=300, seed=0,
                                             confidence=0.95)
    assert high - low > 1.5 * (seg_high - seg_low)


def test_segment_results_feed_compare_and_the_leaderboard(tmp_path):
    """Per-segment prediction ids go through the paired comparison (participant-cluster draws), the
    leaderboard tables, plots and the site like participant results do."""
    from harness.leaderboard import generate
    from harness.paired import paired_difference

    path = _hr_store(tmp_path / "store")
    handcrafted, prior = harness.evaluate(encoders=["handcrafted", "prior"], tasks=["hr-window"],
                                          dataset=str(path), output=tmp_path / "results", folds=3, bootstrap=50,
                                          progress=False)
    diff = paired_difference(handcrafted, prior, n=200)
    assert diff["participants"] == 8 and diff["verdict"] == "handcrafted" and diff["ci_high"] < 0
    files = generate(tmp_path / "results", with_plots=True, pairs=[("handcrafted", "prior")])
    assert "hr-window" in files["README.md"] and any(name.endswith("hr-window.svg") for name in files)
    assert any(name.endswith(".html") for name in files)
