"""``harness weights import FILE --encoder NAME``: an official checkpoint, once, into safetensors.

This is the one place a PyTorch pickle container is opened, and only after its sha256 matches the
encoder's card (or the ``--sha256`` the user trusts, or an explicit ``--allow-unverified``), with
``torch.load(weights_only=True)``: a pickle that names anything but tensors and plain containers is
refused without running. The encoder's ``weights_import`` turns the contents into its exact state dict
(container unwrapped, prefixes stripped, names and shapes checked); the result is written atomically, so
nothing half-written is ever taken as weights. Runs read only the safetensors file.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from harness.errors import DataError, UsageError

FORMAT = "harness-zoo-weights/1"
SAFETENSORS_MAGIC_AT = 8  # a safetensors file: 8-byte header length, then its JSON header "{"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("weights", help="import published encoder weights (checked, converted to safetensors)")
    actions = p.add_subparsers(dest="weights_command", metavar="ACTION", required=True,
                               parser_class=type(p))
    imp = actions.add_parser("import", help="convert an official checkpoint into safetensors for --checkpoint",
                             description="Check an official checkpoint's sha256, read it with "
                                         "torch.load(weights_only=True), match it to the encoder's "
                                         "architecture and write it as safetensors.")
    imp.add_argument("file", type=Path, help="the official weights file (.pt / .pth / .pkl / .safetensors)")
    imp.add_argument("--encoder", required=True, help="the encoder the weights are for (`harness list encoders`)")
    imp.add_argument("--out", type=Path, default=None, help="output .safetensors (default: FILE with that suffix)")
    imp.add_argument("--sha256", default=None, metavar="HEX",
                     help="the file's sha256 as its publisher states it (when the encoder's card has none)")
    imp.add_argument("--allow-unverified", action="store_true",
                     help="import a file whose sha256 nobody published (recorded as unverified)")
    imp.set_defaults(func=handle_import)


def _spec(name: str) -> Any:
    from harness.plugins import get_host

    spec = get_host().encoders.spec(name)
    if spec.weights_import is None:
        raise UsageError(f"encoder '{name}' declares no importer for published weights",
                         "use --checkpoint with the weights format that encoder documents")
    return spec


def _verify(path: Path, spec: Any, given: str | None, allow_unverified: bool) -> tuple[str, str]:
    """``(sha256, how it was verified)``; a mismatch or an unverifiable file without consent is refused."""
    from harness.fetch import sha256_file

    if given is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", given):
        raise UsageError(f"--sha256 {given!r} is not a sha256", "give the 64 hex digits the publisher lists")
    given = given.lower() if given else None
    published = spec.weights_sha256
    if published and given and given != published:
        raise UsageError(f"--sha256 {given} differs from the sha256 the card of '{spec.name}' publishes "
                         f"({published})", "drop --sha256: the card's value is checked")
    expected, how = (published, "card") if published else (given, "--sha256") if given else (None, "unverified")
    if expected is None and not allow_unverified:
        raise UsageError(f"the card of '{spec.name}' publishes no sha256 for its weights, so {path.name} "
                         "cannot be verified", "pass --sha256 HEX from the publisher, or --allow-unverified")
    digest = sha256_file(path)
    if expected is not None and digest != expected:
        raise DataError(f"{path} has sha256 {digest}, not the expected {expected} ({how})",
                        f"download the official file again from {spec.weights_url or 'its publisher'}")
    return digest, how


def _read(path: Path) -> Any:
    """The file's contents: safetensors tensors, or a pickle container read with weights_only=True."""
    with path.open("rb") as handle:
        head = handle.read(SAFETENSORS_MAGIC_AT + 1)
    if head[SAFETENSORS_MAGIC_AT:] == b"{":
        from harness.pretrain.checkpoint import read_safetensors

        return read_safetensors(path)
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # an UnpicklingError for foreign globals, a RuntimeError for a damaged zip
        raise DataError(f"{path} is not a plain tensor checkpoint; torch.load(weights_only=True) refused it "
                        f"({_reason(exc)})", "pass the official weights file; nothing was run or written") from None


def _reason(exc: Exception) -> str:
    """The informative line of torch's refusal (its first line advises weights_only=False: never echo it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    named = [line for line in lines if "GLOBAL" in line or "Unsupported" in line or "unsupported" in line]
    if named:
        return named[0][:200]
    safe = [line for line in lines if "weights_only" not in line]
    return (safe[0] if safe else type(exc).__name__)[:200]


def handle_import(args: argparse.Namespace) -> int:
    from harness.atomic import write_bytes
    from harness.pretrain.checkpoint import state_sha256, to_safetensors_bytes
    from harness.specs import resolve_target

    spec = _spec(args.encoder)
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"no weights file at {path}",
                         f"download it from {spec.weights_url or 'its publisher'} and pass its path")
    out: Path = args.out or path.with_suffix(".safetensors")
    if out.resolve() == path.resolve():
        raise UsageError(f"--out {out} is the input file", "pass another --out path")
    digest, how = _verify(path, spec, args.sha256, args.allow_unverified)
    tensors = resolve_target(spec.weights_import, f"weights importer of '{spec.name}'")(_read(path))
    metadata = {"format": FORMAT, "encoder": spec.name, "source_file": path.name, "source_sha256": digest,
                "verified": how}
    write_bytes(out, to_safetensors_bytes(tensors, metadata))
    note = "" if how != "unverified" else " (unverified: no published sha256 was checked)"
    print(f"wrote {out}: {len(tensors)} tensors of {spec.name}, state sha256 {state_sha256(tensors)[:16]}{note}")
    print(f"score it: harness run --encoder {spec.name} --checkpoint {out}")
    return 0
