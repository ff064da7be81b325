"""Stores, the embedding cache, `harness run` and 2-process torchrun pretraining on S3 (SeaweedFS)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from harness.cli import main
from harness.embed_cache import EmbeddingCache
from harness.errors import DataError
from harness.location import Location
from harness.store import StoreWriter, open_store, validate_store
from tests.conftest import run_process_group


def _tiny_store(location: str) -> str:
    with StoreWriter(location, dataset="tiny", modality="ppg", fs=64.0, channel_names=["g"], samples=128,
                     units="au", source="test", license="CC0-1.0", chunk_segments=4, shard_segments=8) as w:
        sig = np.random.default_rng(0).normal(size=(12, 1, 128)).astype(np.float32)
        w.append(sig, [f"p{i // 3}" for i in range(12)])
        w.set_participants({"participant_id": [f"p{i}" for i in range(4)], "age": [30, 40, 50, 60]})
    return location


def test_root_metadata_is_uploaded_last_and_a_partial_upload_is_refused(monkeypatch):
    """memory:// stands in for a bucket; the order of uploads is what makes publication safe."""
    fs, _ = Location.parse("memory://").filesystem()
    order: list[str] = []
    real_put, real_put_file = fs.put, fs.put_file
    monkeypatch.setattr(fs, "put", lambda lpaths, rpaths, **kw: (order.extend(rpaths), real_put(lpaths, rpaths)))
    monkeypatch.setattr(fs, "put_file", lambda lpath, rpath, **kw: (order.append(rpath), real_put_file(lpath, rpath)))
    url = "memory://bucket-order/tiny"
    assert _tiny_store(url) == url
    assert order[-1].endswith("tiny/zarr.json")
    assert sum(p.endswith("tiny/zarr.json") for p in order) == 1
    assert any("/signal/c/" in p for p in order[:-1])
    store = open_store(url)
    assert store.n_segments == 12 and store.participants["age"].tolist() == [30, 40, 50, 60]
    assert validate_store(url) == []
    fs.rm_file("/bucket-order/tiny/zarr.json")  # an upload killed before its last object
    with pytest.raises(DataError, match="no store at"):
        open_store(url)


def test_embedding_cache_on_a_url_root():
    cache = EmbeddingCache("memory://bucket-emb/cache")
    calls = []

    def blocks(start, stop):
        calls.append(start)
        yield start, stop, np.full((stop - start, 3), start, np.float32)

    first, hit1 = cache.compute("k1", {"encoder": "x"}, 10, 3, blocks, unit=4)
    again, hit2 = cache.compute("k1", {"encoder": "x"}, 10, 3, blocks, unit=4)
    assert (hit1, hit2) == (False, True) and calls == [0, 4, 8]
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first[:, 0], [0, 0, 0, 0, 4, 4, 4, 4, 8, 8])
    assert Location.parse("memory://bucket-emb/cache/k1.zarr").exists()
    assert not Location.parse("memory://bucket-emb/cache/k1.partial").exists()  # copied, then removed
    fs, _ = Location.parse("memory://bucket-emb/cache").filesystem()
    assert not [p for p in fs.find("/bucket-emb/cache") if "/done/" in p or ".partial" in p]


@pytest.mark.slow
def test_build_validate_run_and_cache_on_s3(s3_server, tmp_path, monkeypatch, capsys):
    url = s3_server.url("stores", "synthetic-ppg")
    monkeypatch.setenv("HARNESS_EMBED_CACHE_URL", s3_server.url("embeddings"))
    monkeypatch.setenv("HARNESS_DATA_URL", "")  # empty = unset; `--data-url` below sets it, teardown restores it
    assert main(["data", "build", "synthetic-ppg", "--participants", "20", "--output", url, "--quiet"]) == 0
    assert main(["data", "validate", url]) == 0
    assert f"ok: {url}" in capsys.readouterr().out
    out = tmp_path / "results"
    for task in ("age", "sex"):  # the second task re-uses the embeddings cached on S3
        assert main(["run", "--encoder", "handcrafted", "--task", task, "--dataset", url, "--output", str(out),
                     "--bootstrap", "20", "--quiet"]) == 0
    results = sorted(out.rglob("*.json"))
    assert len(results) == 2
    hits = {json.loads(p.read_text())["task"]["name"]: json.loads(p.read_text())["timings"]["embedding_cache_hit"]
            for p in results}
    assert hits == {"age": False, "sex": True}
    assert json.loads(results[0].read_text())["dataset"]["path"] == url
    # By name through the data-url root: the store built above is found there, not rebuilt locally.
    assert main(["run", "--encoder", "handcrafted", "--task", "age", "--dataset", "synthetic-ppg",
                 "--data-url", s3_server.url("stores"), "--output", str(tmp_path / "byname"),
                 "--bootstrap", "20", "--quiet"]) == 0
    by_name = json.loads(next((tmp_path / "byname").rglob("*.json")).read_text())
    assert by_name["dataset"]["path"] == url and by_name["timings"]["embedding_cache_hit"] is True


@pytest.mark.slow
def test_torchrun_two_process_pretraining_on_s3(s3_server, tmp_path):
    url = s3_server.url("stores", "pretrain-ppg")
    assert main(["data", "build", "synthetic-ppg", "--participants", "24", "--output", url, "--quiet"]) == 0
    out = tmp_path / "pretrain"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "harness", "pretrain", "--encoder", "ahms-ppg", "--config", "small", "--dataset", url,
           "--steps", "3", "--batch-size", "16", "--checkpoint-every", "3", "--out", str(out), "--quiet"]
    env = {**s3_server.env(), "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1"}  # stacks if it hangs
    code, stdout, stderr = run_process_group(cmd, env=env, timeout=300)
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    assert "pretrained ahms-ppg for 3 steps" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step"] == 3
    assert Path(summary["encoder"]).is_file()
    meta = " ".join(p.read_text() for p in out.rglob("*.json"))  # the checkpoint records its data and world
    assert url in meta and '"world_size": 2' in meta


def test_pair_loader_reads_s3_shards_by_ranged_gets_with_the_local_batches(s3_server, tmp_path):
    from harness.encoders import InputSpec
    from harness.plugins import get_host
    from harness.pretrain.loader import PairStream, SegmentReader, build_table, unnormalised
    from harness.store.chunks import ObjectBytes

    url = s3_server.url("stores", "loader-ppg")
    local = tmp_path / "loader-ppg.zarr"
    for where in (url, str(local)):  # the same seeded cohort, on S3 and on disk
        assert main(["data", "build", "synthetic-ppg", "--participants", "30", "--output", where, "--quiet"]) == 0
    spec = InputSpec(modality="ppg", channels=4, fs=64.0, window_s=60.0, normalise="zscore", long_policy="crop")
    policy = get_host().pair_policies.load("participant")
    policy = policy() if isinstance(policy, type) else policy
    batches = {}
    for where in (url, str(local)):
        table = build_table([open_store(where)])
        direct = SegmentReader(table, unnormalised(spec)).direct(0)
        assert direct is not None  # both through the shard index, not zarr
        assert isinstance(direct.source, ObjectBytes) == (where == url)
        stream = PairStream(table, spec, policy, batch_size=16, seed=0, start_step=0, stop_step=6, threads=2,
                            prefetch=True)
        batches[where] = list(stream)
    for a, b in zip(batches[url], batches[str(local)]):
        assert np.array_equal(a["x1"].numpy(), b["x1"].numpy(), equal_nan=True)
        assert np.array_equal(a["x2"].numpy(), b["x2"].numpy(), equal_nan=True)
