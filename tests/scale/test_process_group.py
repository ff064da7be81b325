"""The helper that runs torchrun in tests must turn a hang into a failure, however the workers detach."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_process_group

WORKER = "import os, time; print('worker', os.getpid(), flush=True); time.sleep(600)"
DETACHED_SLEEPER = (
    "import subprocess, sys, time\n"
    f"subprocess.Popen([sys.executable, '-c', {WORKER!r}], start_new_session=True)\n"
    "print('launcher', flush=True)\n"
    "time.sleep(600)\n"
)


def test_a_timeout_kills_workers_in_their_own_session_and_fails_with_their_output():
    """torchrun starts workers with start_new_session=True; they inherit our output and must not block us."""
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="timed out after 6 s") as failure:
        run_process_group([sys.executable, "-c", DETACHED_SLEEPER], timeout=6)
    assert time.monotonic() - started < 30
    message = str(failure.value)
    assert "launcher" in message and "worker" in message
    worker = int(re.search(r"worker (\d+)", message).group(1))
    assert not _running(worker)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan stays a zombie until init reaps it)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.1)
    return True
