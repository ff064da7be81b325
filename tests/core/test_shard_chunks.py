"""Whole-chunk reads straight from shard files equal zarr's reads, and damage is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.errors import DataError
from harness.store import StoreWriter
from harness.store.chunks import frame_content_size, shard_reader
from harness.store.reader import open_store


def _store(path, n=77, chunk=8, shard=32, short_every=5):
    """``n`` segments (not a multiple of chunk or shard), every ``short_every``-th one short (NaN tail)."""
    rng = np.random.default_rng(0)
    with StoreWriter(path, dataset="s", modality="ppg", fs=16.0, channel_names=["a", "b"], samples=64,
                     units="au", source="test", license="CC0", chunk_segments=chunk, shard_segments=shard) as w:
        for i in range(n):
            length = 40 if i % short_every == 0 else 64
            w.append(rng.standard_normal((1, 2, length)).astype(np.float32), [f"p{i // 3}"])
        w.set_participants({"participant_id": [f"p{i}" for i in range(-(-n // 3))]})
    return open_store(path)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return _store(tmp_path_factory.mktemp("chunks") / "s.zarr")


@pytest.mark.parametrize("first,stop", [(0, 10), (0, 1), (3, 4), (2, 7), (9, 10), (3, 9)])
def test_direct_chunk_reads_equal_zarr(store, first, stop):
    reader = shard_reader(store)
    assert reader is not None and reader.chunk == store.chunk_segments == 8
    rows = min(stop * 8, store.n_segments) - first * 8
    out = np.full((rows, 2, 64), 7.0, dtype=np.float32)
    reader.read_chunks(first, stop, out)
    expected = store.read(first * 8, first * 8 + rows)
    assert np.array_equal(out, expected, equal_nan=True)
    assert np.isnan(out[:, :, 40:]).any()  # the short segments' NaN padding is read as stored


def test_damaged_index_or_chunk_is_refused(tmp_path):
    store = _store(tmp_path / "s.zarr")
    shard = tmp_path / "s.zarr" / "signal" / "c" / "1" / "0" / "0"
    blob = bytearray(shard.read_bytes())
    out = np.empty((8, 2, 64), dtype=np.float32)
    bad_chunk = bytearray(blob)
    bad_chunk[10:40] = b"\x00" * 30  # inside the first inner chunk's compressed bytes
    shard.write_bytes(bytes(bad_chunk))
    with pytest.raises(DataError, match="damaged"):
        shard_reader(store).read_chunks(4, 5, out)
    blob[-8] ^= 0xFF  # the index, whose checksum no longer matches
    shard.write_bytes(bytes(blob))
    with pytest.raises(DataError, match="index checksum"):
        shard_reader(store).read_chunks(4, 5, out)


def test_a_missing_shard_reads_as_the_fill_value(tmp_path):
    store = _store(tmp_path / "s.zarr")
    (tmp_path / "s.zarr" / "signal" / "c" / "1" / "0" / "0").unlink()
    out = np.zeros((8, 2, 64), dtype=np.float32)
    shard_reader(store).read_chunks(4, 5, out)
    assert np.isnan(out).all()


def test_other_layouts_are_left_to_zarr(tmp_path):
    store = _store(tmp_path / "s.zarr")
    meta_path = tmp_path / "s.zarr" / "signal" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    meta["codecs"][0]["configuration"]["index_location"] = "start"
    meta_path.write_text(json.dumps(meta))
    assert shard_reader(store) is None
    assert shard_reader(type("NoLocation", (), {})()) is None


def _in_memory_copy(local, name):
    """The store's files uploaded to fsspec's in-memory filesystem (object storage without a server)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    root = local.location.target
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        fs.pipe_file(f"/{name}/{path.relative_to(root).as_posix()}", path.read_bytes())
    return open_store(f"memory://{name}")


def test_object_storage_is_read_by_ranged_gets_and_equals_zarr(store):
    remote = _in_memory_copy(store, "chunks-remote.zarr")
    reader = shard_reader(remote)
    assert reader is not None and not remote.location.is_local
    out = np.full((77 - 16, 2, 64), 7.0, dtype=np.float32)
    reader.read_chunks(2, 10, out)
    assert np.array_equal(out, store.read(16, 77), equal_nan=True)


def test_a_damaged_object_is_refused(store):
    import fsspec

    remote = _in_memory_copy(store, "chunks-damaged.zarr")
    fs = fsspec.filesystem("memory")
    path = "/chunks-damaged.zarr/signal/c/1/0/0"
    blob = bytearray(fs.cat_file(path))
    blob[-8] ^= 0xFF
    fs.pipe_file(path, bytes(blob))
    with pytest.raises(DataError, match="index checksum"):
        shard_reader(remote).read_chunks(4, 5, np.empty((8, 2, 64), dtype=np.float32))


def test_one_reader_is_safe_to_share_between_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    many = _store(tmp_path / "many.zarr", n=77 * 8, chunk=2, shard=4)  # 154 shards: the index cache evicts
    reader = shard_reader(many)
    expected = many.read(0, many.n_segments)

    def read(first):
        out = np.empty((2, 2, 64), dtype=np.float32)
        reader.read_chunks(first, first + 1, out)
        return np.array_equal(out, expected[2 * first: 2 * first + 2], equal_nan=True)

    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(read, list(range(many.n_segments // 2)) * 3))


def test_frame_content_size_reads_the_zstd_header():
    from numcodecs import Zstd

    for n in (1, 255, 300, 70_000, 3_000_000):
        assert frame_content_size(Zstd(level=3).encode(np.zeros(n, dtype=np.uint8))) == n
    assert frame_content_size(b"not zstd") is None
