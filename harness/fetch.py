"""Download a dataset release named by its card, resumably, and verify it before anything reads it.

A download goes to ``<file>.part`` and continues with an HTTP Range request after an interruption.
Only a verified file is renamed to its final name, so a builder never sees unverified bytes. A file
that fails verification is deleted. Verification uses, in order: the sha256 given by the caller, the
card's sha256, or the card's per-file list (PhysioNet's SHA256SUMS.txt) against the archive's members;
a card with none of these needs ``allow_unverified=True`` (the computed sha256 is then reported).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

from harness.cards import DatasetCard, Download
from harness.errors import DataError, RuntimeFault

CHUNK = 1 << 20
TIMEOUT_S = 60
USER_AGENT = "biosignal-harness-fetch"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (the one file-hash helper; the weights' revision uses it too)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _open(url: str, start: int):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if start:
        request.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(request, timeout=TIMEOUT_S)


def download(url: str, part: Path, *, progress: bool = False) -> Path:
    """Fetch ``url`` into ``part``, continuing an existing partial file with an HTTP Range request."""
    part.parent.mkdir(parents=True, exist_ok=True)
    start = part.stat().st_size if part.exists() else 0
    try:
        try:
            response = _open(url, start)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and start:  # the partial file is already complete
                return part
            raise
        with response:
            status = getattr(response, "status", 200)
            mode = "ab" if start and status == 206 else "wb"  # 200 = server ignored Range: start over
            done = start if mode == "ab" else 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length else None
            bar = _bar(total, done, part.name, progress)
            with open(part, mode) as handle:
                for block in iter(lambda: response.read(CHUNK), b""):
                    handle.write(block)
                    bar(len(block))
                handle.flush()
                os.fsync(handle.fileno())
            bar(-1)
        if total is not None and part.stat().st_size < total:
            raise RuntimeFault(f"download of {url} stopped at {part.stat().st_size} of {total} bytes",
                               "run the same command again to resume")
    except urllib.error.HTTPError as exc:
        raise DataError(f"download of {url} failed: HTTP {exc.code} {exc.reason}",
                        "check the URL, or pass a mirror with --url") from exc
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, OSError) as exc:
        if isinstance(exc, RuntimeFault):
            raise
        reason = getattr(exc, "reason", exc)
        raise RuntimeFault(f"download of {url} was interrupted ({reason}); {part.name} is kept",
                           "run the same command again to resume") from exc
    return part


def _bar(total: int | None, initial: int, name: str, enabled: bool) -> Callable[[int], None]:
    if not enabled:
        return lambda n: None
    from tqdm import tqdm

    bar = tqdm(total=total, initial=initial, unit="B", unit_scale=True, desc=name, leave=False)
    return lambda n: bar.close() if n < 0 else bar.update(n)


def _read_list(reference: str) -> dict[str, str]:
    """Parse a ``sha256  path`` list from a URL or local path into {path: sha256}."""
    try:
        if "://" in reference:
            with _open(reference, 0) as response:
                text = response.read().decode()
        else:
            text = Path(reference).read_text()
    except (urllib.error.URLError, OSError) as exc:
        raise RuntimeFault(f"cannot read the checksum list {reference} ({exc})",
                           "run the command again, or pass --sha256 HASH") from exc
    sums: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].lstrip("*").lstrip("./")] = parts[0].lower()
    return sums


def verify_members(archive: Path, sums: dict[str, str]) -> int:
    """Check every listed file inside ``archive`` (under any top folder); return how many matched."""
    if not zipfile.is_zipfile(archive):
        raise DataError(f"{archive.name} is not a zip archive, so its members cannot be checked",
                        "pass the release archive, or --sha256 HASH")
    with zipfile.ZipFile(archive) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        checked = 0
        for listed, expected in sums.items():
            member = next((n for n in names if n == listed or n.endswith("/" + listed)), None)
            if member is None:
                if listed.endswith(".zip") or listed == "SHA256SUMS.txt":
                    continue
                raise DataError(f"{archive.name} lacks {listed}, which the checksum list names",
                                "download the complete release again")
            with zf.open(member) as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()  # type: ignore[arg-type]  # a ZipExtFile reads into buffers
            if digest != expected:
                raise DataError(f"{member} in {archive.name} does not match its published sha256",
                                "the download is corrupt or altered; run fetch again")
            checked += 1
    if checked == 0:
        raise DataError(f"none of the checksum list's files are in {archive.name}",
                        "check that --url points at this release")
    return checked


def _verify(item: Download, path: Path, sha256: str | None, allow_unverified: bool) -> None:
    if item.size is not None and path.stat().st_size != item.size:
        size = path.stat().st_size
        path.unlink()
        raise DataError(f"{item.filename} is {size} bytes, the card says {item.size}; "
                        "the bad file is removed", "run fetch again, or check --url")
    expected = sha256 or item.sha256
    if expected:
        actual = sha256_file(path)
        if actual != expected.lower():
            path.unlink()
            raise DataError(f"{item.filename} has sha256 {actual[:12]}…, expected {expected[:12]}…; "
                            "the bad file is removed", "run fetch again, or check --url / --sha256")
    elif item.checksum_list:
        try:
            verify_members(path, _read_list(item.checksum_list))
        except DataError:
            path.unlink()
            raise
    elif not allow_unverified:  # only reachable when the pre-check was skipped
        raise DataError(f"nothing to verify {item.filename} against",
                        "pass --sha256 HASH or --allow-unverified")
    else:
        print(f"warning: {item.filename} is not verified (no published checksum); its sha256 is "
              f"{sha256_file(path)}", file=sys.stderr)


def fetch(card: DatasetCard, dest_dir: Path, *, url: str | None = None, sha256: str | None = None,
          allow_unverified: bool = False, progress: bool = False) -> Path:
    """Download every file of ``card`` into ``dest_dir``; return the path of the first (the release).

    ``url`` replaces the first file's URL (a mirror); ``sha256`` pins the first file's checksum.
    A file already present under its final name was verified when it was fetched and is kept.
    """
    dest_dir = Path(dest_dir)
    paths: list[Path] = []
    for index, item in enumerate(card.downloads):
        pinned = sha256 if index == 0 else None
        if not (pinned or item.sha256 or item.checksum_list or allow_unverified):
            raise DataError(f"the card of '{card.name}' publishes no checksum for {item.filename}",
                            "pass --sha256 HASH to pin one, or --allow-unverified to accept it as downloaded")
        target = dest_dir / item.filename
        if not target.exists():
            source = url if (index == 0 and url) else item.url
            part = download(source, target.with_name(target.name + ".part"), progress=progress)
            _verify(item, part, pinned, allow_unverified)  # removes the file when it fails
            os.replace(part, target)
        paths.append(target)
    return paths[0]
