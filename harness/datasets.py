"""The dataset contract: a named recipe that writes a signal store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.modality import MODALITY_PATTERN
from harness.specs import FieldChecks, Spec, resolve_target

if TYPE_CHECKING:
    from harness.store.writer import StoreWriter


#: In ``DatasetSpec.default_for``: also the default when neither encoder nor task pins a modality.
ANY_MODALITY = "any"


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


@dataclass(frozen=True, kw_only=True)
class DatasetSpec(Spec):
    """A dataset a plugin can build into a store.

    ``build(request)`` creates exactly one :class:`StoreWriter` via ``request.writer_factory(...)``,
    streams segments into it and returns when the writer is closed. ``default_source`` is the folder
    name under the data directory (``HARNESS_DATA_DIR``) where the official release usually lies.
    ``synthetic`` datasets are draws of a generator: they need no source, are built on first use, and
    two draws with different seeds share no participants (the training-overlap rule relies on it);
    ``default_seed`` is the draw a build without ``--seed`` makes, so two specs over one generator can
    name two independent cohorts (an evaluation cohort and a model-selection one). ``default_for`` names
    the dataset's modality when runs of that modality use it without ``--dataset`` (add ``"any"`` to be
    the default also for encoders and tasks that take any modality). ``card`` is the path of
    the dataset card (TOML, shipped as package data) with download URLs and checksums.
    """

    entry_kind: ClassVar[str] = "dataset"
    modality: str
    build: Callable[[BuildRequest], None] | str
    labels: tuple[str, ...] = ()
    #: per-segment labels the store carries (window-level tasks read them; see harness.store.segment_labels)
    segment_labels: tuple[str, ...] = ()
    synthetic: bool = False
    default_for: tuple[str, ...] = ()
    default_participants: int | None = None
    default_seed: int = 0
    default_source: str | None = None
    card: str | None = None
    license: str = ""
    citation: str = ""

    def run_build(self, request: BuildRequest) -> None:
        """Build the store ``request`` describes (resolving a lazy ``build`` target first)."""
        resolve_target(self.build, f"builder of dataset '{self.name}'")(request)

    def problems(self) -> list[str]:
        p = FieldChecks()
        p.need(isinstance(self.modality, str) and bool(MODALITY_PATTERN.match(self.modality)), "modality",
               f"is {self.modality!r}; use a lowercase name like 'ppg'")
        p.factory(self.build, "build")
        p.names(self.labels, "labels")
        p.names(self.segment_labels, "segment_labels")
        p.names(self.default_for, "default_for")
        p.need(not (isinstance(self.default_for, tuple) and set(self.default_for) - {self.modality, ANY_MODALITY}),
               "default_for", f"may only name the dataset's own modality ({self.modality!r}) or {ANY_MODALITY!r}")
        p.need(self.default_participants is None or (isinstance(self.default_participants, int)
                                                     and self.default_participants >= 2),
               "default_participants", "must be an int >= 2 or None")
        p.need(isinstance(self.default_seed, int), "default_seed", "must be an int")
        p.need(self.card is None or isinstance(self.card, str), "card", "must be a path string or None")
        return super().problems() + p.items
