"""From a dataset name (or path) to an open store: build on first use where that needs no download.

A name resolves, in order, to: an existing store folder given as a path or URL; a built store under
``HARNESS_HOME/stores/NAME`` (or ``HARNESS_DATA_URL/NAME`` when that object-storage root is set); a
registered synthetic dataset (built now with its defaults); a registered real dataset whose official
release lies in the data directory (built now from there). Anything else is an error that says which
command makes the store.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from filelock import FileLock

from harness.datasets import ANY_MODALITY, BuildRequest, DatasetSpec
from harness.errors import DataError, UsageError
from harness.location import Location
from harness.plugins import get_host
from harness.settings import data_dir, data_url, stores_dir
from harness.store import SignalStore, StoreWriter, open_store


def store_location(name: str) -> Location:
    """Where the store of dataset ``name`` lives: ``HARNESS_DATA_URL/NAME`` if set, else a local folder."""
    root = data_url()
    return Location.parse(root).join(name) if root else Location.parse(stores_dir() / name)


def store_path(name: str) -> Path | str:
    """:func:`store_location` as the public API hands it out: a ``Path``, or the URL string."""
    return store_location(name).target


def store_exists(location: str | Path | Location) -> bool:
    """Whether a published store is at ``location`` (a folder, or a URL whose root metadata exists)."""
    return Location.parse(location).exists()


def _looks_like_path(name: str) -> bool:
    return "/" in name or name.endswith(".zarr") or name.startswith(".") or "://" in name


def dataset_spec(name: str) -> DatasetSpec:
    return get_host().datasets.load(name)


def build_dataset(name: str, *, source: Path | None = None, participants: int | None = None, seed: int | None = None,
                  options: dict[str, Any] | None = None, output: str | Path | None = None,
                  progress: bool = True, if_missing: bool = False) -> Path | str:
    """Build dataset ``name`` into ``output`` (default ``HARNESS_HOME/stores/NAME``); return the path.

    Concurrent builds of one target are serialised by a lock file; with ``if_missing`` a process that
    waited for another's build uses it instead of building again. ``output`` may be a URL
    (``s3://bucket/x``); the store is then built locally and uploaded (see :mod:`harness.location`).
    """
    spec = dataset_spec(name)
    if participants is not None and participants < 2:
        raise UsageError(f"--participants {participants} is too small", "use at least 2 participants")
    if not spec.synthetic:
        if source is None and spec.default_source:
            candidate = data_dir() / spec.default_source
            source = candidate if candidate.exists() else None
        if source is None:
            raise DataError(f"dataset '{name}' needs its official release as --source",
                            f"pass --source PATH or run `harness data fetch {name}`")
        source = Path(source)
        if not source.exists():
            raise DataError(f"source {source} does not exist", "pass the archive or folder of the release")
    location = Location.parse(output) if output else store_location(name)
    target = location.target
    with FileLock(location.lock_path()):
        if if_missing and location.exists():
            return target
        location.clean_debris()  # leftovers of a killed build of this target (we hold its lock)
        request = BuildRequest(
            name=name, writer_factory=functools.partial(StoreWriter, target), source=source,
            participants=participants if participants is not None else spec.default_participants,
            seed=spec.default_seed if seed is None else int(seed), options=dict(options or {}),
            progress=progress,
        )
        spec.run_build(request)
    if not location.exists():
        raise DataError(f"dataset plugin for '{name}' finished without writing a store",
                        "report this to the plugin's authors")
    return target


def open_dataset(name_or_path: str, *, build_missing: bool = True, progress: bool = True) -> SignalStore:
    """Open a store by path or dataset name, building synthetic or locally available data on first use."""
    if _looks_like_path(name_or_path) or Path(name_or_path).exists():
        return open_store(name_or_path)
    location = store_location(name_or_path)
    if location.exists():
        return open_store(location.target)
    datasets = get_host().datasets
    if name_or_path not in datasets:
        raise UsageError(datasets.unknown_message(name_or_path),
                         "see `harness data list`, or pass the path of a store")
    spec = dataset_spec(name_or_path)
    if not build_missing:
        raise DataError(f"dataset '{name_or_path}' is not built", f"run `harness data build {name_or_path}`")
    if spec.synthetic or (spec.default_source and (data_dir() / spec.default_source).exists()):
        return open_store(build_dataset(name_or_path, progress=progress, if_missing=True))
    raise DataError(f"dataset '{name_or_path}' is not built and its release is not in {data_dir()}",
                    f"run `harness data fetch {name_or_path}` or `harness data build {name_or_path} --source PATH`")


def default_dataset(modality: str | None) -> str:
    """The dataset a run uses without ``--dataset``: the one whose spec declares itself the default for
    ``modality`` (``default_for``); with no modality pinned by encoder or task, the one declaring ``"any"``."""
    wanted = modality or ANY_MODALITY
    claims = [e.name for e in get_host().datasets.entries() if wanted in e.spec.default_for]
    if len(claims) == 1:
        return claims[0]
    if not claims:
        what = f"modality '{modality}'" if modality else "a run whose encoder and task take any modality"
        raise UsageError(f"no dataset is registered as the default for {what}", "pass --dataset NAME_OR_PATH")
    raise UsageError(f"datasets {', '.join(claims)} all claim to be the default for {wanted}",
                     "pass --dataset NAME_OR_PATH, or disable one of their plugins")
