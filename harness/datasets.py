"""The dataset contract: a named recipe that writes a signal store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.store.writer import StoreWriter


@dataclass
class BuildRequest:
    """What a builder is asked to build. ``source`` is a file or folder for real data, else ``None``."""

    name: str
    writer_factory: Callable[..., StoreWriter]
    source: Path | None = None
    participants: int | None = None
    seed: int = 0
    options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset a plugin can build into a store.

    ``build(request)`` creates exactly one :class:`StoreWriter` via ``request.writer_factory(...)``,
    streams segments into it and returns when the writer is closed. ``default_source`` is the folder
    name under the data directory (``HARNESS_DATA_DIR``) where the official release usually lies;
    ``synthetic`` datasets need no source and are built on first use; ``default_seed`` is the draw a
    build without ``--seed`` makes, so two specs over one generator can name two independent cohorts
    (an evaluation cohort and a model-selection one).
    """

    name: str
    modality: str
    description: str
    build: Callable[[BuildRequest], None]
    labels: tuple[str, ...] = ()
    synthetic: bool = False
    default_participants: int | None = None
    default_seed: int = 0
    default_source: str | None = None
    card: str | None = None
    license: str = ""
    citation: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
