"""What produced a result: package versions, git commit, device, plugin versions."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib import metadata
from types import ModuleType
from typing import Any

from harness.settings import PROJECT_ROOT

PACKAGES = ("biosignal-harness", "torch", "numpy", "scipy", "scikit-learn", "zarr", "xarray", "pluggy",
            "safetensors")


def package_versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


@functools.lru_cache(maxsize=1)
def git_commit() -> dict[str, Any]:
    """Commit of the harness checkout (``None`` outside a git checkout) and whether it had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                                    cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10).stdout.strip())
        return {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _torch_if_importable() -> ModuleType | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def resolve_device(requested: str = "auto", *, torch_encoders: bool = True) -> str:
    """``auto`` picks CUDA when available; asking for CUDA without it is a usage error.

    torch is imported only when it matters: for ``cuda``, or for ``auto`` when torch is already loaded
    or ``torch_encoders`` says a torch encoder will run. Otherwise (and when torch is not installed)
    ``auto`` is ``cpu``, so numpy-only encoders never pay for importing torch.
    """
    from harness.errors import UsageError

    if requested == "auto":
        if not torch_encoders and "torch" not in sys.modules:
            return "cpu"
        torch = _torch_if_importable()
        return "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        torch = _torch_if_importable()
        if torch is None or not torch.cuda.is_available():
            raise UsageError("--device cuda was requested but no CUDA device is available",
                             "use --device cpu or --device auto")
    if requested not in ("cpu",) and not requested.startswith("cuda"):
        raise UsageError(f"unknown device '{requested}'", "use auto, cpu or cuda")
    return requested


def device_info(device: str) -> dict[str, Any]:
    """The device a result was computed on; torch details only when torch is loaded (never imported here)."""
    torch = sys.modules.get("torch")
    info: dict[str, Any] = {"device": device, "torch_threads": torch.get_num_threads() if torch else None,
                            "machine": platform.machine(), "system": platform.system()}
    if torch is not None and device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def environment(device: str) -> dict[str, Any]:
    """The ``environment`` block of a result: versions, plugins, git commit, device."""
    from harness import __version__

    return {"harness": __version__, "packages": package_versions(), "plugins": plugin_versions(),
            "git": git_commit(), **device_info(device)}


def plugin_versions() -> dict[str, str | None]:
    from harness.plugins import get_host

    return {name: info.version for name, info in get_host().plugins.items() if info.error is None}
