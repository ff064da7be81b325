import numpy as np
import pytest
import xarray as xr
import zarr

from harness.errors import DataError
from harness.store import StoreWriter, open_store, validate_store
from tests.conftest import write_store


def test_store_round_trips_through_xarray(small_store):
    store = open_store(small_store)
    ds = xr.open_zarr(small_store, consolidated=False)
    assert ds.signal.dims == ("segment", "channel", "time")
    assert ds.sizes["segment"] == store.n_segments == 90
    assert ds.sizes["participant"] == store.n_participants == 30
    assert ds.attrs["modality"] == "ppg" and ds.attrs["fs"] == 64.0
    np.testing.assert_array_equal(ds.signal[5:7].values, store.read(5, 7))
    np.testing.assert_array_equal(ds.participant_id.values, store.participant_ids)
    assert list(ds.participant.values) == list(store.participants.index)
    np.testing.assert_allclose(ds.age.values, store.participants["age"].values, rtol=1e-6)
    assert ds.signal.encoding["shards"][0] == 32 and ds.signal.encoding["chunks"][0] == 8


def test_valid_store_has_no_problems(small_store):
    assert validate_store(small_store) == []


def test_revision_is_a_content_hash(tmp_path):
    a = write_store(tmp_path / "a" / "s.zarr", participants=4, seed=1)
    b = write_store(tmp_path / "b" / "s.zarr", participants=4, seed=1)
    c = write_store(tmp_path / "c" / "s.zarr", participants=4, seed=2)
    assert open_store(a).revision == open_store(b).revision != open_store(c).revision


def test_failed_build_leaves_nothing(tmp_path):
    target = tmp_path / "s.zarr"
    with pytest.raises(RuntimeError), StoreWriter(target, dataset="s", modality="ecg", fs=128, channel_names=["I"],
                                                  samples=256, units="mV", source="t", license="x") as writer:
        writer.append(np.zeros((2, 1, 256)), ["a", "a"])
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_rebuild_replaces_atomically(tmp_path):
    path = write_store(tmp_path / "s.zarr", participants=3, seed=1)
    rev1 = open_store(path).revision
    write_store(path, participants=3, seed=2)
    assert open_store(path).revision != rev1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.zarr"]


def test_ungrouped_participants_are_refused(tmp_path):
    with pytest.raises(DataError, match="grouped"), StoreWriter(
            tmp_path / "s.zarr", dataset="s", modality="ecg", fs=128, channel_names=["I"], samples=16,
            units="mV", source="t", license="x") as writer:
        for pid in ("a", "b", "a"):
            writer.append(np.zeros((1, 1, 16)), [pid])


def test_short_segments_are_padded_and_lengths_recorded(tmp_path):
    with StoreWriter(tmp_path / "s.zarr", dataset="s", modality="ecg", fs=100, channel_names=["I"],
                     samples=50, units="mV", source="t", license="x") as writer:
        writer.append(np.ones((1, 1, 30)), ["a"])
        writer.append(np.ones((1, 1, 50)), ["b"])
    store = open_store(tmp_path / "s.zarr")
    assert store.n_valid.tolist() == [30, 50]
    assert np.isnan(store.read(0, 1)[0, 0, 30:]).all()


def test_wrong_format_version_is_reported(small_store):
    group = zarr.open_group(str(small_store), mode="r+")
    group.attrs["format_version"] = 99
    problems = validate_store(small_store)
    assert any("format version 99" in p for p in problems)
    with pytest.raises(DataError, match="not valid"):
        open_store(small_store)


def test_corrupt_chunk_is_reported(small_store):
    shard = next(p for p in (small_store / "signal" / "c").rglob("*") if p.is_file())
    shard.write_bytes(b"garbage" * 10)
    problems = validate_store(small_store)
    assert problems and "unreadable chunk" in problems[0]


def test_mismatched_lengths_are_reported(small_store):
    group = zarr.open_group(str(small_store), mode="r+")
    group["t_start"].resize((5,))
    assert any("t_start" in p for p in validate_store(small_store))


def test_a_rebuild_removes_the_leftovers_of_a_killed_build(tmp_path):
    from harness.catalog import build_dataset

    target = tmp_path / "synthetic-ecg"
    debris = tmp_path / "synthetic-ecg.tmp-abc123"
    debris.mkdir()
    (debris / "half-written").write_text("x")
    other = tmp_path / "other.tmp-keep"
    other.mkdir()
    build_dataset("synthetic-ecg", participants=4, output=target, progress=False)
    assert not debris.exists() and other.exists() and target.exists()


def test_atomic_files_get_ordinary_permissions(tmp_path):
    import os

    from harness.atomic import write_text

    path = write_text(tmp_path / "r.json", "{}")
    mask = os.umask(0)
    os.umask(mask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~mask)
