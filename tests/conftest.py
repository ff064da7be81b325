"""Shared fixtures: an isolated HARNESS_HOME, small stores, and the real-data folder setting."""

from __future__ import annotations

import contextlib
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
                labels: dict | None = None, channel_names: list[str] | None = None) -> Path:
    """A small store of noisy pulse trains whose heart rate follows age (for fast, meaningful tests)."""
    from harness.store import StoreWriter

    rng = np.random.default_rng(seed)
    n_t = int(fs * seconds)
    t = np.arange(n_t) / fs
    ages = rng.uniform(20, 80, participants)
    sex = rng.integers(0, 2, participants).astype(float)
    with StoreWriter(path, dataset=path.stem, modality=modality, fs=fs,
                     channel_names=channel_names or [f"ch{i}" for i in range(channels)], samples=n_t, units="a.u.",
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


def _descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (Linux ``/proc``): torchrun starts its workers in their own
    sessions, so killing torchrun's process group would leave them running with our pipes open."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_process_group(cmd: list[str], *, env: dict | None = None, timeout: float = 300):
    """Run ``cmd`` in its own session; on timeout kill it and every descendant (torchrun workers too).

    Output goes to files, not pipes, so no process left holding them can block the test. Returns
    ``(returncode, stdout, stderr)``; a timeout fails the test with the output so far.
    """
    import signal
    import subprocess
    import tempfile
    import time

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            victims = _descendants(proc.pid)
            if (env or os.environ).get("PYTHONFAULTHANDLER"):
                for pid in victims:  # each Python process dumps every thread's stack to its stderr first
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGABRT)
                time.sleep(2)
            proc.send_signal(signal.SIGTERM)  # torchrun forwards it to its workers
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=15)
            for pid in [proc.pid, *victims]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait()
            out.seek(0)
            err.seek(0)
            pytest.fail(f"{' '.join(cmd[:6])} ... timed out after {timeout} s; output: "
                        f"{out.read()[-2000:]} {err.read()[-20000:]}")
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read()
