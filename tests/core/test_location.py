"""harness.location: one Location for local folders and object-storage URLs, and its one publish path."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from harness import atomic
from harness.errors import DataError, RuntimeFault
from harness.location import ROOT_METADATA, Location


def _staged_group(path: Path, value: float) -> Path:
    """A finished local zarr v3 group: attribute ``v`` and a small unsharded array ``a``."""
    group = zarr.open_group(zarr.storage.LocalStore(path), mode="w", zarr_format=3)
    arr = group.create_array("a", shape=(8,), chunks=(2,), dtype="float32", fill_value=np.nan)
    arr[:] = np.full(8, value, dtype=np.float32)
    group.attrs["v"] = value
    return path


def _bucket() -> str:
    return f"memory://bucket-{uuid.uuid4().hex[:8]}"


# -- parsing ---------------------------------------------------------------------------------------------
def test_local_paths_parse(tmp_path: Path) -> None:
    for given in (tmp_path / "s.zarr", str(tmp_path / "s.zarr"), f"{tmp_path}/s.zarr/"):
        loc = Location.parse(given)
        assert loc.is_local and loc.scheme == "file"
        assert loc.path == tmp_path / "s.zarr" and loc.target == tmp_path / "s.zarr"
        assert loc.name == "s.zarr" and str(loc) == str(tmp_path / "s.zarr")
    assert Location.parse("relative/s.zarr").target == Path("relative/s.zarr")
    assert Location.parse(Location.parse("x")) == Location.parse("x")


def test_file_urls_are_local(tmp_path: Path) -> None:
    loc = Location.parse(f"file://{tmp_path}/s.zarr")
    assert loc.is_local and loc.path == tmp_path / "s.zarr" and loc == Location.parse(tmp_path / "s.zarr")
    assert loc.xarray_storage_options() is None


def test_s3_urls_parse_and_carry_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("HARNESS_S3_ENDPOINT", "http://127.0.0.1:9000")
    loc = Location.parse("s3://bucket/stores/x.zarr/")
    assert not loc.is_local and loc.scheme == "s3" and loc.name == "x.zarr"
    assert loc.target == "s3://bucket/stores/x.zarr" == str(loc)
    assert loc.storage_options == {"client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}}
    assert loc.xarray_storage_options() == loc.storage_options
    with pytest.raises(ValueError):
        _ = loc.path
    monkeypatch.delenv("HARNESS_S3_ENDPOINT")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://other:9000")
    assert Location.parse("s3://bucket/x").storage_options["client_kwargs"]["endpoint_url"] == "http://other:9000"
    assert Location.parse("memory://bucket/x").storage_options == {}


def test_an_empty_location_is_a_data_error() -> None:
    with pytest.raises(DataError, match="empty"):
        Location.parse("  ")


def test_join_keeps_the_schemes_double_slash(tmp_path: Path) -> None:
    assert str(Location.parse("s3://bucket/stores").join("synthetic-ppg")) == "s3://bucket/stores/synthetic-ppg"
    assert str(Location.parse("s3://bucket/").join("a", "/b/")) == "s3://bucket/a/b"
    assert str(Location.parse("memory://").join("bucket", "k.zarr")) == "memory://bucket/k.zarr"
    assert Location.parse(tmp_path).join("k.zarr") == Location.parse(tmp_path / "k.zarr")


def test_lock_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    local = Location.parse(tmp_path / "new" / "s.zarr")
    assert local.lock_path() == str(tmp_path / "new" / "s.zarr") + ".lock"
    assert (tmp_path / "new").is_dir()  # the lock's folder exists, so FileLock can create it
    a, b = Location.parse("s3://bucket/a").lock_path(), Location.parse("s3://bucket/b").lock_path()
    assert a != b and a == Location.parse("s3://bucket/a/").lock_path()
    assert Path(a).parent == tmp_path / "home" / "locks" and Path(a).parent.is_dir()


def test_staging_is_beside_a_local_target_and_in_home_for_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_HOME", str(tmp_path / "home"))
    assert Location.parse(tmp_path / "out" / "s.zarr").staging_dir() == tmp_path / "out"
    assert Location.parse("s3://bucket/s.zarr").staging_dir() == tmp_path / "home" / "staging"


def test_the_location_module_does_not_import_the_store() -> None:
    code = "import sys, harness.location; print(sorted(m for m in sys.modules if m.startswith('harness.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "harness.store" not in out and "harness.embed_cache" not in out


# -- local publication -------------------------------------------------------------------------------------
def test_local_publish_replaces_the_old_group_whole(tmp_path: Path) -> None:
    target = Location.parse(tmp_path / "g.zarr")
    assert not target.exists()
    target.publish(_staged_group(tmp_path / "g.zarr.tmp-1", 1.0))
    assert target.exists() and target.open_group("r").attrs["v"] == 1.0
    target.publish(_staged_group(tmp_path / "g.zarr.tmp-2", 2.0))
    group = target.open_group("r")
    assert group.attrs["v"] == 2.0 and np.all(group["a"][:] == 2.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.zarr"]  # staged folder moved, old one removed


def test_a_failed_local_publish_leaves_the_old_group(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Location.parse(tmp_path / "g.zarr")
    target.publish(_staged_group(tmp_path / "g.zarr.tmp-1", 1.0))
    staged = _staged_group(tmp_path / "g.zarr.tmp-2", 2.0)
    real_replace = os.replace

    def failing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if Path(src) == staged:  # the old group is already swapped out when the new one cannot move in
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(RuntimeFault, match="no space left"):
        target.publish(staged)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert target.open_group("r").attrs["v"] == 1.0
    assert staged.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.zarr", "g.zarr.tmp-2"]  # no swapped-out copy left


def test_publish_refuses_a_folder_that_is_not_a_group(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    for target in (Location.parse(tmp_path / "g.zarr"), Location.parse(_bucket()).join("g.zarr")):
        with pytest.raises(DataError, match="not a zarr group"):
            target.publish(tmp_path / "junk")


def test_local_exists_and_remove(tmp_path: Path) -> None:
    loc = Location.parse(tmp_path / "g.zarr")
    loc.remove()  # nothing there: no error
    loc.publish(_staged_group(tmp_path / "staged", 1.0))
    assert loc.exists()
    loc.remove()
    assert not loc.exists() and not (tmp_path / "g.zarr").exists()


# -- object-storage publication (memory:// stands in for a bucket) ------------------------------------------
def _record(monkeypatch: pytest.MonkeyPatch, fs: Any) -> list[tuple[str, str]]:
    ops: list[tuple[str, str]] = []
    real_put, real_put_file, real_rm_file = fs.put, fs.put_file, fs.rm_file
    monkeypatch.setattr(fs, "put", lambda lpaths, rpaths, **kw: (ops.extend(("put", r) for r in rpaths),
                                                                 real_put(lpaths, rpaths)))
    monkeypatch.setattr(fs, "put_file", lambda lpath, rpath, **kw: (ops.append(("put", rpath)),
                                                                    real_put_file(lpath, rpath)))
    monkeypatch.setattr(fs, "rm_file", lambda path, **kw: (ops.append(("rm", path)), real_rm_file(path)))
    return ops


def test_object_storage_publish_uploads_root_metadata_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Location.parse(_bucket()).join("stores", "g.zarr")
    fs, root = target.filesystem()
    ops = _record(monkeypatch, fs)
    staged = _staged_group(tmp_path / "staged", 1.0)
    target.publish(staged)
    head = f"{root}/{ROOT_METADATA}"
    assert ops[-1] == ("put", head) and [op for op in ops if op[1] == head] == [("put", head)]
    assert any("/a/" in path for _, path in ops[:-1])  # chunks and array metadata went up before
    assert staged.is_dir()  # an upload copies; the caller removes its staging folder
    assert target.exists() and target.open_group("r").attrs["v"] == 1.0


def test_object_storage_replace_removes_the_old_root_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Location.parse(_bucket()).join("g.zarr")
    target.publish(_staged_group(tmp_path / "one", 1.0))
    fs, root = target.filesystem()
    ops = _record(monkeypatch, fs)
    target.publish(_staged_group(tmp_path / "two", 2.0))
    head = f"{root}/{ROOT_METADATA}"
    assert ops[0] == ("rm", head) and ops[-1] == ("put", head)
    group = target.open_group("r")
    assert group.attrs["v"] == 2.0 and np.all(group["a"][:] == 2.0)


def test_an_object_storage_group_without_root_metadata_does_not_exist(tmp_path: Path) -> None:
    target = Location.parse(_bucket()).join("g.zarr")
    target.publish(_staged_group(tmp_path / "staged", 1.0))
    fs, root = target.filesystem()
    fs.rm_file(f"{root}/{ROOT_METADATA}")  # an upload killed before its last object
    assert not target.exists()
    target.publish(_staged_group(tmp_path / "again", 3.0))
    assert target.exists()
    target.remove()
    assert not target.exists() and not fs.exists(root)


def test_a_failed_upload_is_a_data_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = Location.parse(_bucket()).join("g.zarr")
    fs, _ = target.filesystem()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("access denied")

    monkeypatch.setattr(fs, "put", refuse)
    with pytest.raises(DataError, match="could not upload to memory://") as info:
        target.publish(_staged_group(tmp_path / "staged", 1.0))
    assert "HARNESS_S3_ENDPOINT" in info.value.fix
    assert not target.exists()
