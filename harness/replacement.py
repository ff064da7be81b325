"""Replacing an existing store: refused without ``--force``, and always says which results go stale.

A result file records the revision of the store it scored (``dataset.revision``). Rebuilding or
re-importing a store under the same name gives it a new revision, so every result recorded against the
old one no longer describes the store of that name. ``harness data build`` and ``data import`` call
:func:`refuse_replacing` when the target exists and ``--force`` is absent, and print
:func:`stale_notice` after a forced replacement. The result folders searched are the default output
folder (``HARNESS_RESULTS``, default ``./results``) and the checkout's ``leaderboard/results``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import DataError, UsageError
from harness.location import Location
from harness.settings import PROJECT_ROOT, results_dir

SHOWN = 3


@dataclass(frozen=True)
class ExistingStore:
    """What is at a target before it is replaced: its revision (``None``: not a readable store) and
    the result files that recorded that revision."""

    location: Location
    revision: str | None
    dependents: tuple[Path, ...]

    def dependents_text(self) -> str:
        if not self.dependents:
            return f"no result file in {', '.join(map(str, result_folders())) or 'the result folders'} " \
                   "recorded its revision"
        shown = ", ".join(str(p) for p in self.dependents[:SHOWN])
        more = f" and {len(self.dependents) - SHOWN} more" if len(self.dependents) > SHOWN else ""
        return f"{len(self.dependents)} result file(s) recorded its revision: {shown}{more}"


def result_folders() -> list[Path]:
    """Where results that may depend on a store are looked for."""
    folders = [results_dir().absolute(), PROJECT_ROOT / "leaderboard" / "results"]
    return [f for f in dict.fromkeys(folders) if f.is_dir()]


def results_on_revision(revision: str) -> list[Path]:
    """Every result JSON in :func:`result_folders` whose ``dataset.revision`` is ``revision``."""
    found: list[Path] = []
    for folder in result_folders():
        for path in sorted(folder.rglob("*.json")):
            try:
                payload = json.loads(path.read_text())
                recorded = payload["dataset"]["revision"]
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a result file (the leaderboard's own JSON, a damaged file): not ours to judge
            if recorded == revision:
                found.append(path)
    return found


def existing_store(location: Location) -> ExistingStore | None:
    """What is at ``location`` now (``None`` when nothing is)."""
    if not location.exists():
        return None
    from harness.store import open_store

    try:
        revision: str | None = open_store(location.target).revision
    except DataError:
        revision = None
    return ExistingStore(location, revision, tuple(results_on_revision(revision)) if revision else ())


def refuse_replacing(location: Location, command: str, elsewhere: str = "--output") -> None:
    """Raise a usage error when something is at ``location`` (the caller was not given ``--force``)."""
    existing = existing_store(location)
    if existing is None:
        return
    if existing.revision is None:
        what = f"{location} already exists and is not a readable store"
        consequence = "it would be deleted"
    else:
        what = f"a store already exists at {location} (revision {existing.revision})"
        consequence = existing.dependents_text()
    raise UsageError(f"{what}, and `harness {command}` would replace it ({consequence})",
                     f"pass --force to replace it, or choose another {elsewhere}")


def stale_notice(before: ExistingStore | None, new_revision: str | None) -> str | None:
    """The line to print after a replacement: which results now describe a store that is gone."""
    if before is None:
        return None
    if before.revision is not None and before.revision == new_revision:
        return f"replaced {before.location} with an identical store (revision {new_revision}); no result is stale"
    if not before.dependents:
        return f"replaced {before.location}; {before.dependents_text()}, so none is stale"
    return (f"replaced {before.location} (revision {before.revision} -> {new_revision}); "
            f"{before.dependents_text()} and are now stale; re-run them with `harness run`")
