"""The bad-input battery, part 4: a full disk and an unwritable output folder.

Tests run as root in CI, where ``chmod 0o500`` does not stop writes. A read-only folder is then made
with ``chattr +i`` (immutable: even root gets EPERM) where the file system supports it; the case that
always works everywhere is a file where the output folder should be.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess

import pytest

from tests.conftest import run_cli
from tests.reliability.helpers import assert_one_line_error, assert_unchanged, fails_cleanly, harness, snapshot


def test_disk_full_while_writing_a_result_keeps_the_previous_one(ws, monkeypatch):
    """ENOSPC at fsync time (simulated in-process): one line, exit 1, the old result byte-identical."""
    real_fsync = os.fsync

    def full(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            return real_fsync(fd)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(ws.store)), code=1,
                  needles=["no space left on the device", "age.json"], protect=ws.protected, env=ws.env)


def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_file_size_limit_while_writing_a_result(ws):
    """A real write failure (RLIMIT_FSIZE: writes past 4 kB fail with EFBIG) in a subprocess."""
    before = snapshot(*ws.protected)
    result = harness(*ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(ws.store)),
                     env=ws.env, preexec_fn=_file_size_limit(4096))
    assert_one_line_error(result.returncode, result.stderr, 1, ["age.json", "File too large"])
    assert_unchanged(before, *ws.protected)


def test_file_size_limit_while_rebuilding_a_store_keeps_the_old_store(ws, tmp_path):
    store = tmp_path / "synthetic.zarr"
    shutil.copytree(ws.store, store)
    before = snapshot(store, *ws.protected)
    result = harness("data", "build", "synthetic-ppg", "--participants", "20", "--output", str(store), "--quiet",
                     "--force", env=ws.env, preexec_fn=_file_size_limit(64 * 1024))
    assert_one_line_error(result.returncode, result.stderr, 1, ["File too large"])
    assert_unchanged(before, store, *ws.protected)
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name], "a failed build left its temporary folder"


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder this process cannot write into, even as root; skip where that cannot be arranged."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        yield folder
        folder.chmod(0o700)
        return
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True) if shutil.which("chattr") else None
    if made is None or made.returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no way to make a read-only folder")
    try:
        yield folder
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_read_only_output_folder(ws, read_only_folder):
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(ws.store),
                              "--output", str(read_only_folder)),
                  code=1, needles=["permission denied or read-only", "--output"], protect=ws.protected,
                  env=ws.env)
    assert not list(read_only_folder.iterdir())


def test_read_only_folder_for_a_store(ws, read_only_folder):
    fails_cleanly(["data", "build", "synthetic-ppg", "--participants", "4", "--output",
                   read_only_folder / "s.zarr", "--quiet"], code=1, needles=["read-only"], protect=ws.protected,
                  env=ws.env)


def test_output_folder_that_is_a_file(ws, tmp_path):
    blocker = tmp_path / "results.txt"
    blocker.write_text("a file where the output folder should be\n")
    fails_cleanly(ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(ws.store),
                              "--output", str(blocker)),
                  code=1, needles=["Not a directory"], protect=[*ws.protected, blocker], env=ws.env)


def test_embedding_cache_on_an_unwritable_home(ws, tmp_path):
    """HARNESS_HOME under a file: the cache cannot be created; one line, nothing else touched."""
    blocker = tmp_path / "home-is-a-file"
    blocker.write_text("x")
    code, _, err = run_cli(*ws.run_args("--encoder", "handcrafted", "--task", "age", "--dataset", str(ws.store)),
                           env={"HARNESS_HOME": str(blocker / "home")})
    assert_one_line_error(code, err, 1, ["Not a directory"])
