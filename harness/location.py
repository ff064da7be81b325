"""Where a zarr group (a signal store, an embedding-cache entry) lives: a local folder or a URL.

A :class:`Location` is resolved once from a path or URL (:meth:`Location.parse`) and then answers
everything callers need without branching on the kind of storage: whether a group is published there,
how to open it, where to stage a new one, which lock serialises its writers, and :meth:`Location.publish`,
the one way a finished group gets there.

Publication guarantees: a reader sees the old group, nothing, or the whole new group, never a mix.

* Local folder (a plain path or ``file://``): the group is built in a temporary sibling folder and
  renamed into place (:func:`harness.atomic.publish_dir`: an existing target is swapped out, then
  removed; a failed swap puts the old one back).
* Object storage (``s3://``, or any other fsspec URL such as ``memory://``): there is no atomic rename,
  so the group is built in the local staging folder, then every chunk and array metadata object is
  uploaded, and the group's root ``zarr.json`` (which carries the attributes the readers check:
  ``format``, ``revision``, ...) goes up LAST. Replacing a group deletes the old root ``zarr.json``
  first. A reader that finds no root ``zarr.json``, or one without the format attributes, refuses the
  group, so it only ever sees the old thing, nothing, or the whole new thing.

Endpoint: ``HARNESS_S3_ENDPOINT`` or ``AWS_ENDPOINT_URL``; credentials: the usual AWS variables.

This module is a leaf below :mod:`harness.store` and :mod:`harness.embed_cache`: it never imports them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import zarr
from zarr.abc.store import Store

from harness.atomic import TMP_MARK, cleanup_debris, publish_dir
from harness.errors import DataError
from harness.settings import harness_home, s3_endpoint, staging_dir

ROOT_METADATA = "zarr.json"
AccessMode = Literal["r", "r+", "a", "w", "w-"]
FILE_SCHEME = "file://"


def quiet_zarr_warnings() -> None:
    """Fixed-length strings have no finished zarr v3 spec yet; the warning says nothing actionable."""
    warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
    warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")


@dataclass(frozen=True)
class Location:
    """A local folder or an object-storage URL, normalised; build one with :meth:`parse`.

    ``text`` is the folder path (local) or the URL without a trailing ``/`` (object storage); it is
    also what :func:`str` shows.
    """

    text: str
    is_local: bool

    # -- construction --------------------------------------------------------------------------------
    @classmethod
    def parse(cls, where: str | os.PathLike[str] | Location) -> Location:
        """A location from a path, a ``file://`` URL (local) or any other ``scheme://`` URL."""
        if isinstance(where, Location):
            return where
        if isinstance(where, os.PathLike):
            return cls(str(Path(where)), True)
        text = str(where)
        if not text.strip():
            raise DataError("the storage location is empty", "pass a folder path or a URL such as s3://bucket/x")
        if text.startswith(FILE_SCHEME):
            return cls(str(Path(text[len(FILE_SCHEME):] or "/")), True)
        if "://" in text:
            scheme, rest = text.split("://", 1)
            return cls(f"{scheme}://{rest.rstrip('/')}", False)
        return cls(str(Path(text)), True)

    def join(self, *names: str) -> Location:
        """``self/name/...``; a URL keeps its scheme's ``//`` (``Path`` would collapse it)."""
        if self.is_local:
            return Location(str(Path(self.text, *names)), True)
        parts = [n.strip("/") for n in names if n.strip("/")]
        if not parts:
            return self
        base = self.text if self.text.endswith("://") else self.text + "/"
        return Location(base + "/".join(parts), False)

    # -- views ---------------------------------------------------------------------------------------
    def __str__(self) -> str:
        return self.text

    @property
    def scheme(self) -> str:
        """``file`` for a local folder, else the URL's scheme (``s3``, ``memory``, ...)."""
        return "file" if self.is_local else self.text.split("://", 1)[0]

    @property
    def name(self) -> str:
        """The last component (``x.zarr`` of ``s3://bucket/x.zarr``)."""
        return Path(self.text).name if self.is_local else self.text.split("://", 1)[1].rsplit("/", 1)[-1]

    @property
    def path(self) -> Path:
        """The local folder; only for local locations."""
        if not self.is_local:
            raise ValueError(f"{self.text} is not a local path")
        return Path(self.text)

    @property
    def target(self) -> Path | str:
        """What the public API hands back: a ``Path`` for a local folder, the URL string otherwise."""
        return Path(self.text) if self.is_local else self.text

    @property
    def storage_options(self) -> dict[str, Any]:
        """fsspec options: the S3 endpoint from the settings for ``s3://``; nothing for other schemes."""
        if self.scheme in ("s3", "s3a"):
            endpoint = s3_endpoint()
            return {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}
        return {}

    def xarray_storage_options(self) -> dict[str, Any] | None:
        """``storage_options`` for ``xarray.open_zarr(str(location), ...)`` (``None`` for a local path)."""
        return None if self.is_local else self.storage_options

    def filesystem(self) -> tuple[Any, str]:
        """The (synchronous) fsspec filesystem holding this location and the path inside it."""
        import fsspec.core

        try:
            fs, root = fsspec.core.url_to_fs(self.text, **self.storage_options)
        except (ImportError, ValueError) as exc:
            raise DataError(f"cannot reach {self.text} ({exc})",
                            "install the filesystem's package (s3 URLs need `pip install s3fs`)") from exc
        return fs, str(root).rstrip("/")

    # -- reading -------------------------------------------------------------------------------------
    def exists(self) -> bool:
        """Whether something is published here: the folder (local; it only appears by atomic rename),
        or the group's root ``zarr.json`` (object storage; a prefix without it is an unfinished upload)."""
        if self.is_local:
            return self.path.exists()
        fs, root = self.filesystem()
        try:
            fs.invalidate_cache(root)
            return bool(fs.exists(f"{root}/{ROOT_METADATA}"))
        except Exception as exc:
            raise DataError(f"cannot reach {self.text} ({type(exc).__name__}: {exc})",
                            "check the URL, the endpoint (HARNESS_S3_ENDPOINT) and the credentials") from exc

    def zarr_store(self, *, read_only: bool = True) -> Store:
        """The zarr store here: a ``LocalStore`` for a folder, an ``FsspecStore`` for a URL."""
        from zarr.storage import FsspecStore, LocalStore

        if self.is_local:
            return LocalStore(self.path, read_only=read_only)
        return FsspecStore.from_url(self.text, storage_options=self.storage_options, read_only=read_only)

    def open_group(self, mode: AccessMode = "r") -> zarr.Group:
        """Open the zarr v3 group here (``mode`` as in :func:`zarr.open_group`)."""
        quiet_zarr_warnings()
        return zarr.open_group(self.zarr_store(read_only=mode == "r"), mode=mode, zarr_format=3)

    # -- writing -------------------------------------------------------------------------------------
    def staging_dir(self) -> Path:
        """The local folder where a group bound for here is built: beside a local target (the same
        filesystem, so the final rename is atomic), ``HARNESS_HOME/staging`` for object storage."""
        folder = self.path.parent if self.is_local else staging_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def lock_path(self) -> str:
        """The lock file that serialises writers of this location (its folder exists).

        Beside a local target; for a URL a local lock named after it (that serialises one machine).
        """
        if self.is_local:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self.text + ".lock"
        folder = harness_home() / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / (hashlib.blake2b(self.text.encode(), digest_size=12).hexdigest() + ".lock"))

    def clean_debris(self) -> list[Path]:
        """Remove what killed writers of this target left (call it holding :meth:`lock_path`).

        Locally that is the ``NAME.tmp-*`` siblings. Staging folders of an object-storage target are
        left alone: ``HARNESS_HOME/staging`` is shared by every URL, and another ``.../NAME`` may be
        building there right now.
        """
        if not self.is_local:
            return []
        return cleanup_debris(self.path.parent, prefix=f"{self.name}{TMP_MARK}")

    def remove(self) -> None:
        """Delete the group here (object storage: root metadata first, so nobody takes the rest as complete)."""
        if self.is_local:
            if self.path.is_dir():
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            return
        fs, root = self.filesystem()
        head = f"{root}/{ROOT_METADATA}"
        try:
            if fs.exists(head):
                fs.rm_file(head)
            if fs.exists(root):
                fs.rm(root, recursive=True)
        except FileNotFoundError:
            pass
        fs.invalidate_cache(root)

    def publish(self, staged: str | os.PathLike[str] | Location) -> None:
        """Make the finished zarr group ``staged`` the group here, replacing any old one whole.

        Local: atomic swap-rename (``staged`` must be on the same filesystem, e.g. from
        :meth:`staging_dir`; it is moved). Object storage: the old group is removed (root metadata
        first), every other object uploaded, the root ``zarr.json`` last; a local ``staged`` is left in
        place. ``staged`` may itself be on the same object storage (work in progress that several
        machines share): its objects are then copied server-side, root metadata last, and it is removed.
        """
        if isinstance(staged, Location):
            if not staged.is_local:
                self._publish_copy(staged)
                return
            staged = staged.path
        staged = Path(staged)
        head = staged / ROOT_METADATA
        if not head.is_file():
            raise DataError(f"{staged} is not a zarr group (no {ROOT_METADATA})", "this is a bug; please report it")
        if self.is_local:
            publish_dir(staged, self.path)
            return
        body = sorted(p for p in staged.rglob("*") if p.is_file() and p != head)
        fs, root = self.filesystem()
        try:
            self.remove()
            if body:
                fs.put([str(p) for p in body], [f"{root}/{p.relative_to(staged).as_posix()}" for p in body])
            fs.put_file(str(head), f"{root}/{ROOT_METADATA}")
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"could not upload to {self.text} ({type(exc).__name__}: {exc})",
                            "check that the bucket exists, the endpoint (HARNESS_S3_ENDPOINT) and the "
                            "credentials") from exc
        finally:
            fs.invalidate_cache(root)

    def _publish_copy(self, staged: Location) -> None:
        """``publish`` from a group on object storage: server-side copies, the root ``zarr.json`` last."""
        if self.is_local or staged.scheme != self.scheme:
            raise DataError(f"cannot publish {staged} to {self.text} (different storage)",
                            "this is a bug; please report it")
        fs, root = self.filesystem()
        _, source = staged.filesystem()
        try:
            fs.invalidate_cache(source)
            found = sorted(str(p).rstrip("/") for p in fs.find(source))
            head = f"{source}/{ROOT_METADATA}"
            if head not in found:
                raise DataError(f"{staged} is not a zarr group (no {ROOT_METADATA})",
                                "this is a bug; please report it")
            body = [p for p in found if p != head]
            self.remove()
            if body:
                fs.copy(body, [f"{root}/{p[len(source) + 1:]}" for p in body])
            fs.copy(head, f"{root}/{ROOT_METADATA}")
        except DataError:
            raise
        except Exception as exc:
            raise DataError(f"could not copy {staged} to {self.text} ({type(exc).__name__}: {exc})",
                            "check the endpoint (HARNESS_S3_ENDPOINT) and the credentials") from exc
        finally:
            fs.invalidate_cache(root)
        staged.remove()
