"""``torchrun --nproc_per_node 2 -m harness run``: each rank embeds its share of the cache's units, rank 0
probes; the same results and embeddings as one process, locally and on S3 (SeaweedFS); a killed rank
leaves nothing that reads as complete and the next launch computes only what is missing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from harness.cli import main
from harness.embed_cache import EmbeddingCache
from harness.location import Location
from tests.conftest import run_process_group

pytestmark = pytest.mark.slow
JOB = Path(__file__).with_name("embed_job.py")
SEGMENTS = 2600  # 650 participants x 4: three cache units of 1024 rows, the last one short
RUN = ["--task", "age,sex", "--bootstrap", "50", "--quiet"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dist") / "synthetic-ppg"
    assert main(["data", "build", "synthetic-ppg", "--participants", "650", "--output", str(path), "--quiet"]) == 0
    return path


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HARNESS_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONFAULTHANDLER": "1", **extra}


def _torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]


def _results(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(out.rglob("*.json"))}


def _entries(root: Path) -> dict[str, np.ndarray]:
    cache = EmbeddingCache(root)
    return {p.name.removesuffix(".zarr"): cache.get(p.name.removesuffix(".zarr")) for p in root.glob("*.zarr")}


def _same_results(got: dict[str, dict], want: dict[str, dict]) -> None:
    assert sorted(got) == sorted(want) == ["age", "sex"]
    for task in want:
        for field in ("scores", "predictions", "config"):
            assert got[task][field] == want[task][field], (task, field)


def _one_process(store: Path, tmp: Path, *cmd: str) -> tuple[dict[str, dict], dict[str, np.ndarray]]:
    home, out = tmp / "home-one", tmp / "out-one"
    code, _stdout, stderr = run_process_group([*cmd, "--dataset", str(store), "--output", str(out), *RUN],
                                             env=_env(home), timeout=300)
    assert code == 0, stderr[-3000:]
    return _results(out), _entries(home / "embeddings")


def test_two_ranks_give_the_results_and_embeddings_of_one_process(store, tmp_path):
    want, want_embeddings = _one_process(store, tmp_path, sys.executable, "-m", "harness", "run",
                                         "--encoder", "handcrafted")
    home, out = tmp_path / "home", tmp_path / "out"
    code, stdout, stderr = run_process_group(
        _torchrun("-m", "harness", "run", "--encoder", "handcrafted", "--dataset", str(store), "--output", str(out),
                  *RUN), env=_env(home), timeout=300)
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    got = _results(out)
    _same_results(got, want)
    assert stdout.count("handcrafted · age") == 1, "rank 0 alone reports and writes the results"
    assert {r["timings"]["embedding_ranks"] for r in got.values()} == {2}
    assert not any(r["timings"]["embedding_cache_hit"] for r in got.values())  # computed once, by both ranks
    embeddings = _entries(home / "embeddings")
    assert embeddings.keys() == want_embeddings.keys() and len(embeddings) == 1
    for key, values in embeddings.items():
        assert values is not None and values.shape[0] == SEGMENTS
        np.testing.assert_array_equal(values, want_embeddings[key])
    assert not list((home / "embeddings").glob("*.partial"))


@pytest.fixture(params=["local", "s3"])
def cache_root(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "home" / "embeddings")
    server = request.getfixturevalue("s3_server")
    return server.url("dist-embeddings", tmp_path.name)


def test_a_killed_rank_leaves_nothing_complete_and_the_next_launch_computes_only_what_is_missing(
        store, tmp_path, cache_root):
    want, want_embeddings = _one_process(store, tmp_path, sys.executable, str(JOB), "ok", str(tmp_path / "log-one"),
                                         "run", "--encoder", "band-power")
    (key, want_values), = want_embeddings.items()
    home, out, cache = tmp_path / "home", tmp_path / "out", EmbeddingCache(cache_root)
    env = _env(home, **({"HARNESS_EMBED_CACHE_URL": cache_root} if "://" in cache_root else {}))

    def launch(mode: str, log: Path) -> tuple[int, str, str]:
        return run_process_group(_torchrun(str(JOB), mode, str(log), "run", "--encoder", "band-power",
                                           "--dataset", str(store), "--output", str(out), *RUN), env=env, timeout=300)

    code, stdout, stderr = launch("die", tmp_path / "log-die")
    assert code != 0 and "SIGKILL" in stdout + stderr
    assert cache.get(key) is None and not cache.entry(key).exists(), "nothing may read as complete"
    assert not out.exists() or not list(out.rglob("*.json")), "rank 0 wrote no result"
    done, units = cache.progress(key) or (0, 0)
    assert units == 3 and 0 < done < units  # rank 0 finished its unit before the launch was stopped
    flags = np.asarray(cache.partial(key).open_group("r")["done"][:])
    missing_rows = sum(min(1024, SEGMENTS - 1024 * u) for u in np.flatnonzero(flags == 0))

    code, stdout, stderr = launch("ok", tmp_path / "log-again")
    assert code == 0, stdout[-2000:] + stderr[-3000:]
    embedded = sum(int(n) for log in (tmp_path / "log-again").glob("rank*.log") for n in log.read_text().split())
    assert embedded == missing_rows, "the finished units were kept, only the others computed"
    _same_results(_results(out), want)
    np.testing.assert_array_equal(cache.get(key), want_values)
    assert cache.progress(key) is None and not cache.partial(key).exists()


def test_a_failing_rank_stops_every_rank_with_its_one_line(store, tmp_path):
    home = tmp_path / "home"
    code, _stdout, stderr = run_process_group(
        _torchrun(str(JOB), "fail", str(tmp_path / "log"), "run", "--encoder", "band-power", "--dataset", str(store),
                  "--output", str(tmp_path / "out"), *RUN), env=_env(home), timeout=300)
    line = ("error: encoder 'band-power' failed while embedding segments 1024-1088: RuntimeError: the sensor model "
            "is missing; fix the encoder or disable its plugin")
    assert code != 0 and stderr.count(line) == 2, stderr[-3000:]  # rank 0 stops too, saying why
    assert "Traceback (most recent call last)" not in stderr.split("ChildFailedError")[0].split(line)[0]
    assert not list((home / "embeddings").glob("*.zarr")) and not (tmp_path / "out").exists()


def test_no_cache_is_refused_under_torchrun(monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert main(["run", "--encoder", "handcrafted", "--task", "age", "--no-cache", "--quiet"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: the ranks of a torchrun launch share their embeddings through the cache, so --no-cache cannot be "
        "used under torchrun; drop --no-cache"]


def test_a_bad_launch_geometry_is_one_line(monkeypatch, capsys):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "5")
    assert main(["run", "--encoder", "handcrafted", "--task", "age", "--quiet"]) == 2
    assert "RANK=5 does not fit WORLD_SIZE=2" in capsys.readouterr().err


def test_publishing_from_object_storage_copies_root_metadata_last(monkeypatch):
    """The S3 path of publication, on memory://: every object copied, the root zarr.json last, source gone."""
    staged = Location.parse("memory://bucket-pub/x.partial")
    group = zarr.open_group(staged.zarr_store(read_only=False), mode="w", zarr_format=3)
    group.create_array("embeddings", shape=(4, 2), chunks=(2, 2), dtype="float32")[:] = np.arange(8).reshape(4, 2)
    fs, _ = staged.filesystem()
    copied: list[str] = []
    real = fs.copy
    monkeypatch.setattr(fs, "copy", lambda src, dst, **kw: (copied.extend(dst if isinstance(dst, list) else [dst]),
                                                            real(src, dst, **kw)))
    target = Location.parse("memory://bucket-pub/x.zarr")
    target.publish(staged)
    assert copied[-1].endswith("x.zarr/zarr.json") and sum(p.endswith("x.zarr/zarr.json") for p in copied) == 1
    assert not staged.exists() and not fs.exists("/bucket-pub/x.partial")
    np.testing.assert_array_equal(target.open_group("r")["embeddings"][:], np.arange(8).reshape(4, 2))
