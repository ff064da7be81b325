"""Two ``harness run`` processes at once on one store, one output folder and one HARNESS_HOME: both
results are whole, the embedding cache is complete, and the embeddings are computed once (the lock)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from harness.results import load_result
from tests.reliability.helpers import start_harness, tiny_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tiny_store(tmp_path_factory.mktemp("concurrent") / "shared.zarr", participants=40, segments=4,
                      seconds=60.0)


@pytest.mark.slow
@pytest.mark.parametrize("tasks", [("age", "sex"), ("age", "age")], ids=["different-tasks", "same-task"])
def test_two_runs_at_once_lose_nothing_and_embed_once(store, tmp_path, tasks):
    env = {"HARNESS_HOME": str(tmp_path / "home")}
    out = tmp_path / "results"
    procs = [start_harness("run", "--encoder", "handcrafted", "--task", task, "--dataset", str(store),
                           "--output", str(out), "--quiet", "--bootstrap", "100", env=env) for task in tasks]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_stdout, stderr) in zip(procs, outputs):
        assert proc.returncode == 0, stderr
    printed = [line.split("-> ", 1)[1] for stdout, _ in outputs for line in stdout.splitlines() if "-> " in line]
    results = [load_result(path) for path in printed]  # each file each process wrote is whole JSON
    assert sorted({r.task.name for r in results}) == sorted(set(tasks))
    for path in out.rglob("*"):
        assert ".tmp-" not in path.name
    entries = list((tmp_path / "home" / "embeddings").glob("*.zarr"))
    assert len(entries) == 1 and not list((tmp_path / "home" / "embeddings").glob("*.partial"))
    emb = zarr.open_group(str(entries[0]), mode="r")["embeddings"][:]
    assert emb.shape[0] == 160 and np.isfinite(emb).all()
    hits = sorted(json.loads(Path(p).read_text())["timings"]["embedding_cache_hit"] for p in printed)
    if tasks[0] != tasks[1]:
        assert hits == [False, True], "the embeddings were computed twice"
    else:  # one file, written twice atomically: the survivor is one whole version
        assert len(set(printed)) == 1
