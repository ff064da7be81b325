"""Atomic publication of files and folders: readers see the old thing or the whole new thing.

A file is written to a temporary sibling, flushed and fsynced, then renamed over the target. A folder
(a zarr store, a checkpoint) is built in a temporary sibling and renamed into place, so a killed
process leaves only ``.tmp-*`` debris that no command takes as complete and that ``cleanup`` removes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import RuntimeFault

TMP_MARK = ".tmp-"


def _explain_os_error(exc: OSError, target: Path) -> RuntimeFault:
    if exc.errno == errno.ENOSPC:
        return RuntimeFault(f"no space left on the device while writing {target}", "free disk space or "
                            "choose another output folder with --output")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return RuntimeFault(f"cannot write to {target.parent} (permission denied or read-only)",
                            "choose a writable output folder with --output")
    return RuntimeFault(f"could not write {target}: {exc.strerror or exc}", "check the output folder")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (temp file + fsync + rename)."""
    target = Path(target)
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{target.name}{TMP_MARK}", dir=target.parent)
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would make results unreadable to others
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_dir(target.parent)
    except OSError as exc:
        raise _explain_os_error(exc, target) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return target


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    return write_bytes(target, text.encode("utf-8"))


def write_json(target: str | os.PathLike[str], payload: Any) -> Path:
    return write_text(target, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


@contextlib.contextmanager
def building_dir(target: str | os.PathLike[str], *, replace: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success rename it to ``target``; on failure remove it."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{target.name}{TMP_MARK}", dir=target.parent))
    except OSError as exc:
        raise _explain_os_error(exc, target) from exc
    try:
        yield tmp
        publish_dir(tmp, target, replace=replace)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish_dir(tmp: Path, target: Path, *, replace: bool = True) -> None:
    """Move a finished folder into place; an existing target is swapped out, then removed."""
    old = None
    try:
        if target.exists():
            if not replace:
                raise FileExistsError(errno.EEXIST, "exists", str(target))
            old = target.with_name(f"{target.name}{TMP_MARK}old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        if old is not None and not target.exists():
            os.replace(old, target)
            old = None
        raise _explain_os_error(exc, target) from exc
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def cleanup_debris(folder: str | os.PathLike[str], prefix: str = "") -> list[Path]:
    """Remove ``*.tmp-*`` leftovers of killed writers in ``folder`` (only names starting with ``prefix``).

    Call it only while holding the lock that serialises writers of those names.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        if TMP_MARK in path.name and path.name.startswith(prefix):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()
            removed.append(path)
    return removed
