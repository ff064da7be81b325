"""Read an official release the way users have it: the downloaded archive or its extracted folder.

Builders never assume one exact layout (archives are often re-zipped with or without a top folder):
they ask for members by file name or suffix, and the source answers with the one path that has it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Literal, overload

from harness import DataError


class Source:
    """A release as a flat list of member paths (POSIX, relative) that can be read as bytes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise DataError(f"source {self.path} does not exist",
                            "pass --source with the downloaded archive or its extracted folder")
        self._zip: zipfile.ZipFile | None = None
        if self.path.is_dir():
            root = self.path
            self.members = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            self.members = sorted(i.filename for i in self._zip.infolist() if not i.is_dir())
        else:
            raise DataError(f"source {self.path} is neither a folder nor a zip archive",
                            "pass the official archive (.zip) or the folder it extracts to")
        # macOS archives carry __MACOSX/ resource forks with the same names; never read those.
        self.members = [m for m in self.members if not m.startswith("__MACOSX/")
                        and not PurePosixPath(m).name.startswith("._")]
        self._by_name: dict[str, list[str]] = {}
        for member in self.members:
            self._by_name.setdefault(PurePosixPath(member).name, []).append(member)

    @property
    def is_zip(self) -> bool:
        return self._zip is not None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- finding -------------------------------------------------------------------------------------
    @overload
    def find(self, name: str, *, required: Literal[True] = ..., what: str = "", under: str | None = None) -> str: ...

    @overload
    def find(self, name: str, *, required: bool, what: str = "", under: str | None = None) -> str | None: ...

    def find(self, name: str, *, required: bool = True, what: str = "",
             under: str | None = None) -> str | None:
        """The member whose file name is ``name`` (shortest path wins when several match)."""
        hits = self._by_name.get(name, [])
        if under is not None:
            hits = [h for h in hits if f"/{under}/" in f"/{h}"]
        if not hits:
            if required:
                raise DataError(f"{name} {what}not found in {self.path}".replace("  ", " "),
                                "pass the complete official release as --source")
            return None
        return min(hits, key=lambda m: (m.count("/"), m))

    def glob(self, suffix: str, *, under: str | None = None) -> list[str]:
        """Members whose path ends with ``suffix`` (optionally inside a folder named ``under``)."""
        hits = [m for m in self.members if m.endswith(suffix)]
        if under is not None:
            hits = [m for m in hits if f"/{under}/" in f"/{m}"]
        return hits

    # -- reading -------------------------------------------------------------------------------------
    def read_bytes(self, member: str) -> bytes:
        if self._zip is not None:
            try:
                return self._zip.read(member)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise DataError(f"{member} in {self.path.name} is damaged ({exc})",
                                "download the archive again (`harness data fetch` verifies it)") from exc
        return (self.path / member).read_bytes()

    def local_path(self, member: str) -> Path | None:
        """The member's path on disk when the source is a folder, else ``None``."""
        return None if self._zip is not None else self.path / member

    @contextlib.contextmanager
    def materialized(self, members: Iterable[str]) -> Iterator[Path]:
        """A folder holding ``members`` at their relative paths (the source itself when it is a folder).

        Used for readers that need real files (WFDB); from a zip only the named members are extracted,
        into a temporary folder removed afterwards.
        """
        if self._zip is None:
            yield self.path
            return
        tmp = Path(tempfile.mkdtemp(prefix="harness-src-"))
        try:
            for member in members:
                target = tmp / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(self.read_bytes(member))
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def open_source(path: Path | None, default_folder: str | None, *, archive: str | None = None) -> Source:
    """Open ``path``, or the dataset's default folder under the data directory when ``path`` is None.

    When ``path`` is a folder holding the release's ``archive`` (a download folder with
    ``training2017.zip`` in it), the archive is read, straight from the zip.
    """
    if path is None:
        from harness import data_dir

        if default_folder is None:
            raise DataError("no source given", "pass --source PATH")
        path = data_dir() / default_folder
        if not path.exists():
            raise DataError(f"no source given and {path} does not exist",
                            "pass --source PATH, set HARNESS_DATA_DIR, or run `harness data fetch NAME`")
    source = Source(Path(path))
    if archive and not source.is_zip:
        inner = source.find(archive, required=False)
        local = source.local_path(inner) if inner else None
        if local is not None and zipfile.is_zipfile(local):
            source.close()
            return Source(local)
    return source


def progress_bar(total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr when ``enabled``, else a no-op with the same interface."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="rec", disable=not enabled, leave=False)
