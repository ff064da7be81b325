"""What produced a result: package versions, git commit, device, plugin versions."""

from __future__ import annotations

import functools
import platform
import subprocess
from importlib import metadata
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


def resolve_device(requested: str = "auto") -> str:
    """``auto`` picks CUDA when available; asking for CUDA without it is a usage error."""
    import torch

    from harness.errors import UsageError

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda was requested but no CUDA device is available",
                         "use --device cpu or --device auto")
    if requested not in ("cpu",) and not requested.startswith("cuda"):
        raise UsageError(f"unknown device '{requested}'", "use auto, cpu or cuda")
    return requested


def device_info(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {"device": device, "torch_threads": torch.get_num_threads(),
                            "machine": platform.machine(), "system": platform.system()}
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


def plugin_versions() -> dict[str, str | None]:
    from harness.plugins import get_host

    return {name: info.version for name, info in get_host().plugins.items() if info.error is None}
