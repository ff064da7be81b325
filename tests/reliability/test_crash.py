"""Crash safety: SIGKILL real ``harness data build`` and ``harness run`` processes at seeded random points.

After every kill nothing is taken as complete (the store does not exist or opens whole; no result file;
the embedding cache entry is absent or complete), and running the same command again gives the same
store revision / scores as an uninterrupted run. The embedding cache resumes from its ``.partial``.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

from harness.embed_cache import EmbeddingCache
from harness.errors import DataError
from harness.results import load_result
from harness.store import open_store
from tests.reliability.helpers import harness, start_harness

PARTICIPANTS = "300"
KILLS = 3


def _wait_for(pattern_root: Path, pattern: str, proc, timeout: float = 60.0) -> bool:
    """Wait until a file matching ``pattern`` appears under ``pattern_root`` (or the process ends)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pattern_root.exists() and any(pattern_root.glob(pattern)):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


def _kill_after(proc, delay: float) -> bool:
    """SIGKILL ``proc`` after ``delay`` seconds; True when it was still running (a real kill)."""
    time.sleep(delay)
    alive = proc.poll() is None
    proc.kill()
    proc.communicate(timeout=60)
    return alive


def _phase_after(marker_root: Path, pattern: str, args, env) -> float:
    """Run to completion; return the seconds from ``pattern`` appearing to the exit (the killable phase)."""
    proc = start_harness(*args, env=env)
    assert _wait_for(marker_root, pattern, proc), "the marker never appeared"
    start = time.monotonic()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return time.monotonic() - start


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted build and run: the revision and scores every interrupted one must reproduce,
    and how long each stays in its killable phase (temp folder present / embedding under way)."""
    root = tmp_path_factory.mktemp("reference")
    env = {"HARNESS_HOME": str(root / "home")}
    store = root / "cohort.zarr"
    build_s = _phase_after(root, "cohort.zarr.tmp-*", ("data", "build", "synthetic-ppg", "--participants",
                                                       PARTICIPANTS, "--output", str(store), "--quiet"), env)
    run_s = _phase_after(root / "home" / "embeddings", "*.partial", _run_args(store, root / "out"), env)
    result = json.loads((root / "out" / "synthetic-ppg" / "handcrafted" / "age.json").read_text())
    return {"store": store, "revision": open_store(store).revision, "build_s": build_s, "run_s": run_s,
            "result": result}


def _run_args(store: Path, out: Path) -> list[str]:
    return ["run", "--encoder", "handcrafted", "--task", "age", "--dataset", str(store), "--output", str(out),
            "--quiet", "--batch-size", "32", "--bootstrap", "200"]


@pytest.mark.slow
def test_killed_build_is_never_taken_as_complete_and_reruns_identically(reference, tmp_path):
    rng = random.Random(6)
    env = {"HARNESS_HOME": str(tmp_path / "home")}
    store = tmp_path / "cohort.zarr"
    args = ("data", "build", "synthetic-ppg", "--participants", PARTICIPANTS, "--output", str(store), "--quiet",
            "--force")  # a kill after the rename leaves a whole store, which the next build replaces
    killed_mid_write = 0
    for _ in range(KILLS):
        proc = start_harness(*args, env=env)
        started = _wait_for(tmp_path, "cohort.zarr.tmp-*", proc)
        killed_mid_write += _kill_after(proc, rng.uniform(0.0, 0.9 * reference["build_s"])) and started
        if store.exists():  # the kill came after the atomic rename: the store must be whole
            assert open_store(store).revision == reference["revision"]
        else:
            with pytest.raises(DataError, match="no store at"):
                open_store(store)
        for debris in tmp_path.glob("cohort.zarr.tmp-*"):  # what a killed writer leaves is never a store
            with pytest.raises(DataError):
                open_store(debris)
    assert killed_mid_write >= 1, "no kill landed while the store was being written"
    again = harness(*args, env=env)
    assert again.returncode == 0, again.stderr
    assert open_store(store).revision == reference["revision"]


@pytest.mark.slow
def test_killed_run_leaves_no_partial_result_and_resumes_its_embeddings(reference, tmp_path):
    rng = random.Random(7)
    home = tmp_path / "home"
    env = {"HARNESS_HOME": str(home)}
    out = tmp_path / "out"
    result_file = out / "synthetic-ppg" / "handcrafted" / "age.json"
    args = _run_args(reference["store"], out)
    progress = []
    killed_mid_run = 0
    for _ in range(KILLS):
        proc = start_harness(*args, env=env)
        started = _wait_for(home / "embeddings", "*.partial", proc)
        alive = _kill_after(proc, rng.uniform(0.0, 0.9 * reference["run_s"]))
        killed_mid_run += started and alive and not result_file.exists()
        if result_file.exists():  # finished before the kill: then it is whole and right
            assert json.loads(result_file.read_text())["scores"] == reference["result"]["scores"]
        for path in out.rglob("*.json"):  # anything a reader would pick up is a whole result
            assert load_result(path).to_dict()["scores"] == reference["result"]["scores"]
        for entry in (home / "embeddings").glob("*.zarr"):  # a published cache entry is complete
            emb = zarr.open_group(str(entry), mode="r")["embeddings"][:]
            assert emb.shape[0] == 1200 and np.isfinite(emb).all()
        cache = EmbeddingCache(home / "embeddings")
        for partial in (home / "embeddings").glob("*.partial"):
            units = cache.progress(partial.name.removesuffix(".partial"))
            assert units is not None and 0 <= units[0] <= units[1]  # a unit is marked only once written
            progress.append(units[0])
    assert killed_mid_run >= 1, "no kill landed while embeddings were being computed"
    again = harness(*args, env=env)
    assert again.returncode == 0, again.stderr
    result = json.loads(result_file.read_text())
    assert result["scores"] == reference["result"]["scores"]
    assert result["predictions"] == reference["result"]["predictions"]
    assert result["dataset"]["revision"] == reference["revision"]
    assert not list((home / "embeddings").glob("*.partial")), "the finished cache still has its .partial"


def test_embedding_cache_resumes_from_partial_progress(tmp_path):
    """An interrupted compute keeps its finished units; the next one computes only the others."""
    cache = EmbeddingCache(tmp_path / "cache")
    n, dim, unit = 95, 4, 10
    asked: list[tuple[int, int]] = []

    def blocks(lo, hi, *, stop_at=None):
        if lo == stop_at:
            raise KeyboardInterrupt  # what SIGINT does; SIGKILL stops at the same kind of point
        asked.append((lo, hi))
        yield lo, hi, np.full((hi - lo, dim), lo, dtype=np.float32)

    with pytest.raises(KeyboardInterrupt):
        cache.compute("k", {}, n, dim, lambda lo, hi: blocks(lo, hi, stop_at=40), unit=unit)
    assert cache.get("k") is None, "an unfinished cache entry must not be readable as complete"
    assert cache.progress("k") == (4, 10)
    asked.clear()
    emb, hit = cache.compute("k", {}, n, dim, blocks, unit=unit)
    assert asked == [(lo, min(lo + unit, n)) for lo in range(40, n, unit)] and not hit
    assert np.array_equal(emb[:, 0], np.repeat(np.arange(0, n, unit), unit)[:n].astype(np.float32))
    assert cache.compute("k", {}, n, dim, blocks, unit=unit)[1] is True and asked[-1] == (90, 95)
    assert cache.progress("k") is None and not (tmp_path / "cache" / "k.partial").exists()
    assert "done" not in zarr.open_group(str(cache.path("k")), mode="r")  # bookkeeping is not published


def test_a_partial_of_another_shape_or_layout_is_started_afresh(tmp_path):
    """Work in progress is resumed only when it was cut the same way for the same array."""
    cache = EmbeddingCache(tmp_path / "cache")

    def blocks(lo, hi):
        yield lo, hi, np.full((hi - lo, 2), 1.0 + lo, dtype=np.float32)

    def interrupted(lo, hi):
        if lo >= 20:
            raise KeyboardInterrupt
        yield from blocks(lo, hi)

    with pytest.raises(KeyboardInterrupt):
        cache.compute("k", {}, 50, 2, interrupted, unit=10)
    assert cache.progress("k") == (2, 5)
    emb, _ = cache.compute("k", {}, 50, 2, blocks, unit=25)  # another cut: nothing is reused
    assert np.array_equal(emb[:, 0], np.repeat([1.0, 26.0], 25).astype(np.float32))
    old = zarr.open_group(str(tmp_path / "cache" / "j.partial"), mode="w", zarr_format=3)
    old.create_array("embeddings", shape=(50, 2), chunks=(4096, 2), dtype="float32", fill_value=np.nan)
    old.attrs.update({"key": "j", "done": 50})  # the layout before units: its count is not trusted
    assert cache.progress("j") is None
    emb, hit = cache.compute("j", {}, 50, 2, blocks, unit=25)
    assert not hit and np.isfinite(emb).all()


def test_lazy_cache_reads_give_the_on_disk_array_computed_or_cached(tmp_path):
    """``lazy=True`` (what ``harness run`` asks for) returns the published zarr array, not a copy in memory,
    on a miss and on a hit, with the values the eager read gives; a damaged entry is still recomputed."""
    import zarr

    cache = EmbeddingCache(tmp_path / "cache")
    n, dim = 50, 3

    def blocks(start, stop):
        for lo in range(start, stop, 10):
            yield lo, lo + 10, np.arange(lo * dim, (lo + 10) * dim, dtype=np.float32).reshape(10, dim)

    computed, hit = cache.compute("k", {}, n, dim, blocks, lazy=True)
    assert isinstance(computed, zarr.Array) and not hit
    cached, hit = cache.compute("k", {}, n, dim, blocks, lazy=True)
    assert isinstance(cached, zarr.Array) and hit
    eager = cache.get("k")
    assert isinstance(eager, np.ndarray) and np.array_equal(computed[:], eager) and np.array_equal(cached[:], eager)
    writable = zarr.open_group(str(cache.path("k")), mode="r+")["embeddings"]
    writable[7] = np.nan  # a lost chunk reads back as the NaN fill value
    assert cache.get("k", lazy=True) is None
