"""Shared checks for the reliability battery: one-line errors, untouched files, real subprocesses."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from harness.atomic import TMP_MARK
from tests.conftest import run_cli, write_store

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def tiny_store(path: Path, **kw) -> Path:
    """16 participants x 2 segments of 10 s at 64 Hz, 4 channels: enough for 5-fold probes, built in ~0.1 s."""
    kw.setdefault("participants", 16)
    kw.setdefault("segments", 2)
    kw.setdefault("seconds", 10.0)
    return write_store(path, **kw)


def snapshot(*paths: Path) -> dict[str, str]:
    """sha256 of every file under ``paths`` (lock files excluded: they are empty and may be created)."""
    out: dict[str, str] = {}
    for root in paths:
        root = Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            if path.suffix == ".lock":
                continue
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def debris(*paths: Path) -> list[Path]:
    """Leftover temporary files or folders (``*.tmp-*``) under ``paths``."""
    found: list[Path] = []
    for root in paths:
        if Path(root).is_dir():
            found += [p for p in Path(root).rglob(f"*{TMP_MARK}*")]
    return found


def assert_unchanged(before: dict[str, str], *paths: Path) -> None:
    """Every file in ``before`` still has its bytes; new files are only embedding-cache progress (``.partial``)."""
    after = snapshot(*paths)
    changed = sorted(k for k in before if after.get(k) != before[k])
    assert not changed, f"files that existed before the command were changed or removed: {changed[:5]}"
    new = sorted(k for k in set(after) - set(before) if ".partial" not in k)
    assert not new, f"the failing command left new files: {new[:5]}"
    assert not debris(*paths), f"temporary debris left behind: {debris(*paths)}"


def assert_one_line_error(code: int, err: str, expected_code: int, needles: Iterable[str] = ()) -> str:
    """Exit code as expected; stderr is one ``error: problem; fix`` line naming the problem; no traceback."""
    lines = err.splitlines()
    assert code == expected_code, f"exit {code}, expected {expected_code}; stderr: {err!r}"
    assert len(lines) == 1, f"stderr is not one line: {err!r}"
    line = lines[0]
    assert line.startswith("error: ") and "; " in line, f"not 'error: problem; fix': {line!r}"
    assert "Traceback" not in err and "internal error" not in line, line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def fails_cleanly(args: Iterable[str], *, code: int, needles: Iterable[str] = (), protect: Iterable[Path] = (),
                  env: dict[str, str] | None = None, debug: bool = True) -> str:
    """Run the CLI in-process: one-line error, files under ``protect`` byte-identical, ``--debug`` traceback."""
    args = [str(a) for a in args]
    protect = [Path(p) for p in protect]
    before = snapshot(*protect)
    rc, _, err = run_cli(*args, env=env)
    line = assert_one_line_error(rc, err, code, needles)
    assert_unchanged(before, *protect)
    if debug:
        rc, _, err = run_cli("--debug", *args, env=env)
        assert rc == code and "Traceback (most recent call last)" in err, err[-2000:]
        assert_unchanged(before, *protect)
    return line


def harness(*args: str, env: dict[str, str] | None = None, timeout: float = 240,
            preexec_fn: Callable[[], None] | None = None) -> subprocess.CompletedProcess:
    """``python -m harness ARGS`` as a real subprocess (own interpreter, own plugin loading)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "harness", *map(str, args)], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=ROOT, preexec_fn=preexec_fn)


def start_harness(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``python -m harness ARGS`` without waiting (for kill and concurrency tests)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "harness", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full_env, cwd=ROOT)


def pip_install(package: str, target: Path) -> None:
    """Install a fixture plugin package for real (into ``target``, used via PYTHONPATH)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "--target", str(target), str(FIXTURES / package)], check=True,
                   capture_output=True, text=True, timeout=180)
