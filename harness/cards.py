"""Dataset cards: declarative TOML files saying where a release comes from.

A dataset plugin ships its cards as package data and names each one in its ``DatasetSpec.card``
(a path); the core finds a card through the dataset registry, so it knows no dataset itself and a
wheel install carries the cards.

A card holds data only: download URLs and checksums, license, citation, label schema, counts, known
quirks and the split unit. ``fetch`` reads the downloads; ``harness data info`` can show the rest.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import DataError, UsageError

LABEL_KINDS = ("numeric", "binary", "categorical")
REQUIRED = ("name", "title", "modality", "homepage", "license", "citation", "split_unit", "downloads",
            "labels")


@dataclass(frozen=True)
class Download:
    """One file of a release. ``sha256`` of the file, or ``checksum_list``: a per-file list
    (PhysioNet's SHA256SUMS.txt) that the archive's members are checked against."""

    url: str
    filename: str
    sha256: str | None = None
    size: int | None = None
    checksum_list: str | None = None
    note: str = ""


@dataclass(frozen=True)
class LabelInfo:
    name: str
    meaning: str
    kind: str
    units: str = ""


@dataclass(frozen=True)
class DatasetCard:
    name: str
    title: str
    modality: str
    homepage: str
    license: str
    citation: str
    split_unit: str
    downloads: tuple[Download, ...]
    labels: dict[str, LabelInfo]
    participants: int | None = None
    segments: int | None = None
    quirks: tuple[str, ...] = ()
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def _fail(where: str, problem: str) -> DataError:
    return DataError(f"dataset card {where}: {problem}", "fix the card file (fields: see harness/cards.py)")


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text.lower())


def _download(where: str, index: int, item: Any) -> Download:
    if not isinstance(item, dict) or not item.get("url"):
        raise _fail(where, f"downloads[{index}] has no 'url'")
    url = str(item["url"])
    filename = str(item.get("filename") or url.rstrip("/").split("/")[-1].split("?")[0])
    sha = item.get("sha256")
    if sha is not None and not _is_sha256(str(sha)):
        raise _fail(where, f"downloads[{index}].sha256 is not 64 hex digits")
    size = item.get("size")
    if size is not None and (not isinstance(size, int) or size <= 0):
        raise _fail(where, f"downloads[{index}].size must be a positive integer")
    return Download(url=url, filename=filename, sha256=str(sha).lower() if sha else None, size=size,
                    checksum_list=item.get("checksum_list"), note=str(item.get("note", "")))


def parse_card(data: dict[str, Any], where: str = "<card>") -> DatasetCard:
    """Validate a parsed TOML table and return the card (one-line errors naming the field)."""
    for key in REQUIRED:
        if key not in data or data[key] in ("", [], {}):
            raise _fail(where, f"required field '{key}' is missing or empty")
    if not isinstance(data["downloads"], list):
        raise _fail(where, "'downloads' must be an array of tables ([[downloads]])")
    downloads = tuple(_download(where, i, item) for i, item in enumerate(data["downloads"]))
    if not isinstance(data["labels"], dict):
        raise _fail(where, "'labels' must be a table ([labels.NAME])")
    labels: dict[str, LabelInfo] = {}
    for name, spec in data["labels"].items():
        if not isinstance(spec, dict) or not spec.get("meaning"):
            raise _fail(where, f"label '{name}' needs a 'meaning'")
        kind = spec.get("kind")
        if kind not in LABEL_KINDS:
            raise _fail(where, f"label '{name}' has kind {kind!r}; use one of {', '.join(LABEL_KINDS)}")
        labels[name] = LabelInfo(name, str(spec["meaning"]), kind, str(spec.get("units", "")))
    for key in ("participants", "segments"):
        if key in data and not isinstance(data[key], int):
            raise _fail(where, f"'{key}' must be an integer")
    return DatasetCard(
        name=str(data["name"]), title=str(data["title"]), modality=str(data["modality"]),
        homepage=str(data["homepage"]), license=str(data["license"]), citation=str(data["citation"]),
        split_unit=str(data["split_unit"]), downloads=downloads, labels=labels,
        participants=data.get("participants"), segments=data.get("segments"),
        quirks=tuple(str(q) for q in data.get("quirks", [])), raw=data,
    )


def registered_cards() -> dict[str, Path]:
    """Dataset name -> card path, for every registered dataset that names a card."""
    from harness.plugins import get_host

    return {entry.name: Path(entry.spec.card) for entry in get_host().datasets.entries() if entry.spec.card}


def load_card(name_or_path: str | Path) -> DatasetCard:
    """Load the card of a registered dataset (or a card file given by path) and validate it."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        path = candidate
    else:
        cards = registered_cards()
        if str(name_or_path) not in cards:
            known = ", ".join(sorted(cards)) or "none"
            raise UsageError(f"no dataset card for '{name_or_path}' (datasets with cards: {known})",
                             "use one of the listed names or pass the path of a .toml card")
        path = cards[str(name_or_path)]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"dataset card {path} does not exist", "check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(str(path), f"is not valid TOML ({exc})") from exc
    card = parse_card(data, str(path))
    return DatasetCard(**{**card.__dict__, "path": path})
