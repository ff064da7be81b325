"""From a dataset name (or path) to an open store: build on first use where that needs no download.

One rule for every ``--dataset`` value (:func:`resolve_dataset`, see :mod:`harness.naming`): a value that
looks like a path or URL is opened as one; any other value is a name, and a name is the store under
``HARNESS_HOME/stores/NAME`` (or ``DATA_URL/NAME`` when an object-storage root is set), built now when it
is a registered synthetic dataset, or a registered real dataset whose official release lies in the data
directory. A folder in the working directory never shadows a name. Anything else is an error that says
which command makes the store.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from harness.datasets import ANY_MODALITY, BuildRequest, DatasetSpec
from harness.errors import DataError, UsageError
from harness.location import Location
from harness.naming import looks_like_path
from harness.plugins import get_host
from harness.replacement import refuse_replacing
from harness.settings import data_dir, data_url, stores_dir
from harness.store import SignalStore, StoreWriter, open_store


def store_location(name: str, data_root: str | None = None) -> Location:
    """Where the store of dataset ``name`` lives: ``DATA_ROOT/NAME`` (``data_root``, else
    ``HARNESS_DATA_URL``) if set, else a local folder under the store root."""
    root = (data_root or "").strip().rstrip("/") or data_url()
    return Location.parse(root).join(name) if root else Location.parse(stores_dir() / name)


def store_path(name: str, data_root: str | None = None) -> Path | str:
    """:func:`store_location` as the public API hands it out: a ``Path``, or the URL string."""
    return store_location(name, data_root).target


def store_exists(location: str | Path | Location) -> bool:
    """Whether a published store is at ``location`` (a folder, or a URL whose root metadata exists)."""
    return Location.parse(location).exists()


@dataclass(frozen=True)
class DatasetChoice:
    """What a ``--dataset`` value was taken to mean: a registered dataset, an imported store, or a path."""

    given: str
    kind: Literal["registered", "imported", "path"]
    location: Location

    def describe(self) -> str:
        """The one line a command prints to say which it used."""
        if self.kind == "path":
            return f"dataset {self.given}: the store at the path {self.location}"
        if self.kind == "registered":
            return f"dataset '{self.given}': the registered dataset, its store at {self.location}"
        return f"dataset '{self.given}': the imported store at {self.location}"

    def to_dict(self) -> dict[str, str]:
        """Provenance for result files (``dataset.resolved``)."""
        return {"given": self.given, "as": self.kind, "location": str(self.location)}


def resolve_dataset(given: str, *, data_root: str | None = None) -> DatasetChoice:
    """Which store ``given`` means, by the one rule of :mod:`harness.naming`; opens and builds nothing."""
    if looks_like_path(given):
        location = Location.parse(given)
        if location.is_local:
            location = Location.parse(Path(location.text).absolute())
        return DatasetChoice(given, "path", location)
    location = store_location(given, data_root)
    datasets = get_host().datasets
    if given in datasets:
        return DatasetChoice(given, "registered", location)
    if location.exists():
        return DatasetChoice(given, "imported", location)
    hint = "see `harness data list`, or pass the path of a store"
    if Path(given).exists():
        hint = f"to open the folder '{given}' in the working directory, pass ./{given}"
    raise UsageError(f"{datasets.unknown_message(given)}, and no store named '{given}' is at {location}", hint)


def dataset_spec(name: str) -> DatasetSpec:
    return get_host().datasets.load(name)


def build_dataset(name: str, *, source: Path | None = None, participants: int | None = None, seed: int | None = None,
                  options: dict[str, Any] | None = None, output: str | Path | None = None,
                  progress: bool = True, if_missing: bool = False, replace: bool = True,
                  data_root: str | None = None) -> Path | str:
    """Build dataset ``name`` into ``output`` (default ``HARNESS_HOME/stores/NAME``); return the path.

    Concurrent builds of one target are serialised by a lock file; with ``if_missing`` a process that
    waited for another's build uses it instead of building again. ``output`` may be a URL
    (``s3://bucket/x``); the store is then built locally and uploaded (see :mod:`harness.location`).
    With ``replace=False`` an existing store at the target is refused (checked under the lock), naming
    the result files that replacing it would make stale (``harness data build`` without ``--force``).
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
    location = Location.parse(output) if output else store_location(name, data_root)
    target = location.target
    with FileLock(location.lock_path()):
        if if_missing and location.exists():
            return target
        if not replace:
            refuse_replacing(location, "data build")
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


def open_dataset(name_or_path: str, *, build_missing: bool = True, progress: bool = True,
                 data_root: str | None = None) -> SignalStore:
    """Open a store by path or dataset name, building synthetic or locally available data on first use."""
    return open_choice(resolve_dataset(name_or_path, data_root=data_root), build_missing=build_missing,
                       progress=progress, data_root=data_root)


def open_choice(choice: DatasetChoice, *, build_missing: bool = True, progress: bool = True,
                data_root: str | None = None) -> SignalStore:
    """Open the store :func:`resolve_dataset` chose; a registered dataset not yet built is built if it can be."""
    if choice.kind != "registered" or choice.location.exists():
        return open_store(choice.location.target)
    name = choice.given
    spec = dataset_spec(name)
    if not build_missing:
        raise DataError(f"dataset '{name}' is not built", f"run `harness data build {name}`")
    if spec.synthetic or (spec.default_source and (data_dir() / spec.default_source).exists()):
        return open_store(build_dataset(name, progress=progress, if_missing=True, data_root=data_root))
    raise DataError(f"dataset '{name}' is not built and its release is not in {data_dir()}",
                    f"run `harness data fetch {name}` or `harness data build {name} --source PATH`")


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
