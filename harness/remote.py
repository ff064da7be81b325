"""Stores and embedding caches on object storage (S3-compatible, or any fsspec URL), published safely.

Object storage has no atomic rename, so a remote zarr group is published in an order that makes a
half-written one invisible: everything is built in a local staging folder first, then every chunk and
array metadata object is uploaded, and the group's root ``zarr.json`` (which carries the attributes the
readers check: ``format``, ``revision``, ...) goes up LAST. Replacing a group deletes the old root
``zarr.json`` first. A reader that finds no root ``zarr.json``, or one without the format attributes,
refuses the group, so it only ever sees the old thing, nothing, or the whole new thing.

Endpoint: ``HARNESS_S3_ENDPOINT`` or ``AWS_ENDPOINT_URL``; credentials: the usual AWS variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zarr

from harness.errors import DataError
from harness.settings import s3_endpoint

ROOT_METADATA = "zarr.json"


def is_url(location: str | Path | None) -> bool:
    """True for ``scheme://...`` locations other than local ``file://`` paths."""
    text = str(location or "")
    return "://" in text and not text.startswith("file://")


def join(base: str, *names: str) -> str:
    """``base/name/...`` for URLs (``Path`` would collapse the ``//`` of the scheme)."""
    return "/".join([base.rstrip("/"), *(n.strip("/") for n in names)])


def storage_options(url: str) -> dict[str, Any]:
    """fsspec options for ``url``: the S3 endpoint from the settings; nothing for other schemes."""
    if url.startswith(("s3://", "s3a://")):
        endpoint = s3_endpoint()
        return {"client_kwargs": {"endpoint_url": endpoint}} if endpoint else {}
    return {}


def filesystem(url: str) -> tuple[Any, str]:
    """The (synchronous) fsspec filesystem of ``url`` and the path inside it."""
    import fsspec.core

    try:
        return fsspec.core.url_to_fs(url, **storage_options(url))
    except (ImportError, ValueError) as exc:
        raise DataError(f"cannot reach {url} ({exc})",
                        "install the filesystem's package (s3 URLs need `pip install s3fs`)") from exc


def exists(url: str) -> bool:
    """Whether a published zarr group is at ``url`` (its root ``zarr.json`` exists)."""
    fs, root = filesystem(url)
    try:
        fs.invalidate_cache(root)
        return bool(fs.exists(f"{root}/{ROOT_METADATA}"))
    except Exception as exc:
        raise DataError(f"cannot reach {url} ({type(exc).__name__}: {exc})",
                        "check the URL, the endpoint (HARNESS_S3_ENDPOINT) and the credentials") from exc


def open_group(url: str, *, mode: str = "r") -> zarr.Group:
    """Open a zarr v3 group at ``url`` with the configured storage options."""
    from zarr.storage import FsspecStore

    from harness.store.schema import quiet_zarr_warnings

    quiet_zarr_warnings()
    store = FsspecStore.from_url(url, storage_options=storage_options(url), read_only=mode == "r")
    return zarr.open_group(store, mode=mode, zarr_format=3)


def remove(url: str) -> None:
    """Delete the group at ``url``: its root metadata first, so nobody takes the rest as complete."""
    fs, root = filesystem(url)
    head = f"{root}/{ROOT_METADATA}"
    try:
        if fs.exists(head):
            fs.rm_file(head)
        if fs.exists(root):
            fs.rm(root, recursive=True)
    except FileNotFoundError:
        pass
    fs.invalidate_cache(root)


def publish_dir(local: str | Path, url: str) -> str:
    """Upload the finished local zarr group ``local`` to ``url``, root ``zarr.json`` last.

    An existing group at ``url`` is removed first (root metadata first). Returns ``url``.
    """
    local = Path(local)
    head = local / ROOT_METADATA
    if not head.is_file():
        raise DataError(f"{local} is not a zarr group (no {ROOT_METADATA})", "this is a bug; please report it")
    body = sorted(p for p in local.rglob("*") if p.is_file() and p != head)
    fs, root = filesystem(url)
    try:
        remove(url)
        if body:
            fs.put([str(p) for p in body], [f"{root}/{p.relative_to(local).as_posix()}" for p in body])
        fs.put_file(str(head), f"{root}/{ROOT_METADATA}")
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"could not upload to {url} ({type(exc).__name__}: {exc})",
                        "check that the bucket exists, the endpoint (HARNESS_S3_ENDPOINT) and the credentials") from exc
    finally:
        fs.invalidate_cache(root)
    return url
