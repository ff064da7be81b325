"""What a format reader reports about one record before its samples are read, and the one rule for
record ids: the path relative to the source folder without extension, so files with the same name in
different sub-folders (``p01/BVP.csv``, ``p02/BVP.csv``) are different records, never one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import DataError
from harness.importing.labels import names


@dataclass
class RecordInfo:
    """One record as its header or first lines describe it (``samples`` is -1 until read)."""

    id: str
    path: Path
    format: str
    channels: list[str]
    channel_fs: list[float]
    units: str = "a.u."
    samples: int = -1
    start: float | None = None  # the file's own start time in seconds (unix time for E4/EDF), if any
    extra: dict = field(default_factory=dict)

    @property
    def fs(self) -> float:
        return self.channel_fs[0] if self.channel_fs else 0.0


def record_id(path: Path, root: Path, *, keep_suffix: bool = False) -> str:
    """``root/p01/BVP.csv`` -> ``p01/BVP`` (POSIX separators on every platform)."""
    rel = path.relative_to(root)
    return rel.as_posix() if keep_suffix else rel.with_suffix("").as_posix()


def unique_ids(paths: Iterable[Path], root: Path) -> dict[str, Path]:
    """Record id -> file; two files that would get one id (``a.csv`` and ``a.CSV``) refuse the import."""
    ids: dict[str, list[Path]] = {}
    for path in sorted(paths):
        ids.setdefault(record_id(path, root), []).append(path)
    clashes = {k: v for k, v in ids.items() if len(v) > 1}
    if clashes:
        shown = names([" and ".join(p.name for p in v) + f" in {v[0].parent}" for v in clashes.values()], 3)
        raise DataError(f"{len(clashes)} record ids would name more than one file ({shown})",
                        "rename or move one file of each pair so each record has its own path")
    return {k: v[0] for k, v in ids.items()}


def match_rows(record_column: Iterable[str], records: dict[str, RecordInfo]) -> tuple[dict[str, str], list[str]]:
    """Map each ``record`` cell to a record id: the relative path, or the bare file name when only one
    file has it. Returns (cell -> id, cells naming several files)."""
    by_stem: dict[str, list[str]] = {}
    for rid in records:
        by_stem.setdefault(rid.rsplit("/", 1)[-1], []).append(rid)
    mapping: dict[str, str] = {}
    ambiguous: list[str] = []
    for cell in record_column:
        key = cell.replace("\\", "/").strip("/")
        for suffix in (".csv", ".hea", ".edf", ".bdf", ".parquet"):
            if key.lower().endswith(suffix) and key[: -len(suffix)] in records:
                key = key[: -len(suffix)]
        if key in records:
            mapping[cell] = key
        elif len(by_stem.get(key, [])) == 1:
            mapping[cell] = by_stem[key][0]
        elif len(by_stem.get(key, [])) > 1:
            ambiguous.append(cell)
    return mapping, ambiguous


def refuse_ambiguous(ambiguous: list[str], records: dict[str, RecordInfo]) -> None:
    if not ambiguous:
        return
    stems = Counter(rid.rsplit("/", 1)[-1] for rid in records)
    example = sorted(rid for rid in records if rid.rsplit("/", 1)[-1] == ambiguous[0])
    raise DataError(f"labels name records {names(ambiguous)}, but {stems[ambiguous[0]]} files have that name "
                    f"in different folders ({names(example, 3)})",
                    "write the path relative to SOURCE_DIR without extension in the 'record' column "
                    f"(e.g. {example[0]})")
