"""``--probe-jobs``: probes fitted in worker processes (over a run's tasks, or one task's outer folds) give
exactly the scores, predictions, chosen parameters, diagnostics, subgroups and curves of the serial run."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from harness.probe import ProbeConfig, run_probe
from harness.tasks import TaskSpec
from tests.conftest import run_cli, write_store

PER_RUN = ("timings", "environment")  # wall times and the machine: the only keys allowed to differ


def _case(kind: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((240, 24))
    signal = x[:, :3].sum(1)
    y = signal + rng.standard_normal(240) if kind == "regression" else (signal + rng.standard_normal(240) > 0)
    metric = "mae" if kind == "regression" else "auroc"
    task = TaskSpec(name=f"t-{kind}", version=1, label="y", kind=kind, metric=metric, modalities=("ppg",))
    return task, x, y.astype(float)


@pytest.mark.parametrize("kind", ["classification", "regression"])
def test_fold_parallel_probe_equals_the_serial_one(kind):
    task, x, y = _case(kind)
    config = ProbeConfig(folds=5, bootstrap=200, seed=3)
    serial = run_probe(task, x, y, config)
    parallel = run_probe(task, x, y, config, jobs=2)
    assert np.array_equal(serial.y_pred, parallel.y_pred)  # bit for bit
    assert serial.scores == parallel.scores and serial.fold_params == parallel.fold_params
    assert serial.diagnostics == parallel.diagnostics


def test_warnings_raised_in_workers_reach_the_diagnostics():
    task, x, y = _case("classification")
    x = np.hstack([x, x * 1e6])  # badly scaled duplicates: lbfgs warns or not, the same in both
    config = ProbeConfig(folds=3, bootstrap=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial, parallel = run_probe(task, x, y, config), run_probe(task, x, y, config, jobs=2)
    assert serial.diagnostics == parallel.diagnostics


def _results(folder):
    out = {}
    for path in sorted(folder.rglob("*.json")):
        payload = json.loads(path.read_text())
        out[path.relative_to(folder).as_posix()] = {k: v for k, v in payload.items() if k not in PER_RUN}
    return out


@pytest.mark.parametrize("tasks", ["age,sex,age-over-50", "sex"])
def test_harness_run_with_probe_jobs_writes_the_serial_results(tmp_path, tasks):
    """Several tasks: spread over processes; one task: its folds are."""
    store = write_store(tmp_path / "s.zarr", participants=40, segments=2, channels=1, seconds=30.0)
    common = ("run", "--encoder", "handcrafted", "--dataset", str(store), "--task", tasks, "--folds", "4",
              "--bootstrap", "50", "--label-fractions", "0.5,1", "--label-repeats", "2", "--quiet")
    code, _, err = run_cli(*common, "--output", str(tmp_path / "serial"))
    assert code == 0, err
    code, _, err = run_cli(*common, "--output", str(tmp_path / "parallel"), "--probe-jobs", "2")
    assert code == 0, err
    serial, parallel = _results(tmp_path / "serial"), _results(tmp_path / "parallel")
    assert len(serial) == len(tasks.split(",")) and serial == parallel


def test_probe_jobs_is_checked_like_the_other_job_counts(tmp_path):
    code, _, err = run_cli("run", "--encoder", "handcrafted", "--task", "age", "--probe-jobs", "0")
    assert code == 2 and "--probe-jobs" in err and "Traceback" not in err


def _blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_fit_sees_one_blas_thread_serial_or_in_workers(jobs):
    """The same BLAS path in this process as in a worker: multi-threaded BLAS sums in another order, which
    flipped a near-tie choice of C on CinC 2017 (see harness/parallel.py)."""
    from harness.parallel import in_processes

    seen = in_processes(_blas_threads, [(), ()], jobs)
    assert seen == [{1}, {1}]
