"""Shared fixtures: an isolated HARNESS_HOME, small stores, and the real-data folder setting."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pytest

from harness.settings import data_dir, env_flag


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory):
    """Every test session gets its own HARNESS_HOME so nothing touches the user's cache."""
    os.environ["HARNESS_HOME"] = str(tmp_path_factory.mktemp("harness-home"))
    os.environ.setdefault("HARNESS_RESULTS", str(tmp_path_factory.mktemp("results")))
    yield


def real_data(subfolder: str) -> Path:
    """The folder of one real dataset; skip when absent, fail when CI requires the data."""
    path = data_dir() / subfolder
    if not path.exists():
        message = f"real recordings not found at {path} (set HARNESS_DATA_DIR)"
        if env_flag("HARNESS_REQUIRE_DATA"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def write_store(path: Path, *, participants: int = 30, segments: int = 3, modality: str = "ppg",
                channels: int = 4, fs: float = 64.0, seconds: float = 60.0, seed: int = 0,
                labels: dict | None = None) -> Path:
    """A small store of noisy pulse trains whose heart rate follows age (for fast, meaningful tests)."""
    from harness.store import StoreWriter

    rng = np.random.default_rng(seed)
    n_t = int(fs * seconds)
    t = np.arange(n_t) / fs
    ages = rng.uniform(20, 80, participants)
    sex = rng.integers(0, 2, participants).astype(float)
    with StoreWriter(path, dataset=path.stem, modality=modality, fs=fs,
                     channel_names=[f"ch{i}" for i in range(channels)], samples=n_t, units="a.u.",
                     source="test", license="CC0-1.0", chunk_segments=8, shard_segments=32) as writer:
        for p in range(participants):
            hr = 95 - 0.5 * ages[p] + 5 * sex[p]
            phase = 2 * np.pi * hr / 60 * t
            segs = np.stack([
                np.stack([np.sin(phase + rng.uniform(0, 6)) ** 2 * (1 + 0.1 * c)
                          + 0.1 * rng.standard_normal(n_t) for c in range(channels)])
                for _ in range(segments)])
            writer.append(segs, [f"P{p:04d}"] * segments, t_start=np.arange(segments) * seconds)
        table = {"participant_id": [f"P{p:04d}" for p in range(participants)], "age": ages, "sex": sex}
        table.update(labels or {})
        writer.set_participants(table)
    return path


@pytest.fixture
def small_store(tmp_path) -> Path:
    return write_store(tmp_path / "small.zarr")


@pytest.fixture(scope="session")
def session_store(tmp_path_factory) -> Path:
    return write_store(tmp_path_factory.mktemp("stores") / "session-small.zarr", participants=60)


@pytest.fixture
def store_factory(tmp_path):
    return functools.partial(write_store)


def run_cli(*args: str, env: dict | None = None):
    """Run the CLI in-process; return (exit code, stdout, stderr) via capsys-free redirection."""
    import contextlib
    import io

    from harness.cli import main
    from harness.plugins import reset_host

    reset_host()
    out, err = io.StringIO(), io.StringIO()
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(old)
        reset_host()
    return code, out.getvalue(), err.getvalue()


def run_process_group(cmd: list[str], *, env: dict | None = None, timeout: float = 300):
    """Run ``cmd`` in its own session; on timeout kill the whole group (torchrun workers included).

    Returns ``(returncode, stdout, stderr)``; a timeout fails the test with the output so far.
    """
    import signal
    import subprocess

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"{' '.join(cmd[:6])} ... timed out after {timeout} s; output: {stdout[-2000:]} {stderr[-3000:]}")
    return proc.returncode, stdout, stderr
