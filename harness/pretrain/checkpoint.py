"""Checkpoints and shipped-weight artefacts: safetensors + JSON only, never pickle.

A checkpoint is a folder published atomically (built beside its target, then renamed)::

    model.safetensors      online.* and teacher.* tensors (parameters and buffers)
    optimizer.safetensors  optimizer state tensors, keyed state.<param index>.<name>
    config.json            run config, recipe, architecture, data revisions, step, optimizer
                           param groups, AMP scaler state, versions, git commit, wall time, metrics

No RNG state is stored: every random stream (batches, augmentation, dropout) is derived from
(seed, step, rank), so a resumed run reproduces an uninterrupted one exactly.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from harness import __version__
from harness.atomic import building_dir, write_bytes, write_json
from harness.errors import DataError
from harness.provenance import package_versions

CHECKPOINT_FORMAT = "harness-pretrain-checkpoint/1"
EXPORT_FORMAT = "harness-encoder-weights/1"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
CONFIG_FILE = "config.json"


# -- safe tensor files ---------------------------------------------------------------------------
def _bytes_of(tensor: torch.Tensor) -> bytes:
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes()


def state_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """Content hash of a state dict (names, dtypes, shapes, bytes), independent of file layout."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(_bytes_of(t))
    return h.hexdigest()


def to_safetensors_bytes(tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> bytes:
    clean = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    return st_save(clean, metadata=metadata)


def read_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Load tensors from a safetensors file; anything else (a pickle, a truncated file) is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"no weights file at {path}", "check the path")
    data = path.read_bytes()
    if len(data) < 10 or data[8:9] != b"{":
        raise DataError(f"{path} is not a safetensors file (pickled torch checkpoints are refused: loading "
                        "them can run arbitrary code)",
                        "convert it with safetensors.torch.save_file(state_dict, PATH)")
    try:
        return st_load(data)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise DataError(f"{path} is not a readable safetensors file ({exc})",
                        "re-export the weights with safetensors") from exc


def read_json(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path} is missing", "re-export the checkpoint") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc})", "re-export the checkpoint") from exc


# -- provenance ------------------------------------------------------------------------------------
def versions() -> dict[str, str | None]:
    """The versions a checkpoint records (harness, python, torch, numpy, safetensors); read by
    :func:`harness.provenance.package_versions`, the one place that looks them up."""
    found = package_versions()
    return {"harness": __version__, **{name: found[name] for name in ("python", "torch", "numpy", "safetensors")}}


# -- optimizer state -------------------------------------------------------------------------------
def optimizer_to_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Split an optimizer state dict into tensors (safetensors) and JSON-able rest."""
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for idx, entry in state["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{idx}.{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def optimizer_from_tensors(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                           info: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        _, idx, key = name.split(".", 2)
        state.setdefault(int(idx), {})[key] = value
    for idx, entry in info.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(entry)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": info["param_groups"]})
    except (ValueError, KeyError) as exc:
        raise DataError(f"optimizer state in the checkpoint does not fit this model ({exc})",
                        "resume with the same encoder and --config, or start a new --out folder") from exc


# -- checkpoints -----------------------------------------------------------------------------------
@dataclass
class Checkpoint:
    path: Path
    meta: dict[str, Any]
    model: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor]

    @property
    def step(self) -> int:
        return int(self.meta["step"])

    def part(self, prefix: str) -> dict[str, torch.Tensor]:
        """Tensors under ``prefix.`` with the prefix removed (``online``, ``teacher``, ``online.encoder``)."""
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.model.items() if k.startswith(prefix + ".")}


def save_checkpoint(path: str | Path, *, online: torch.nn.Module, teacher: torch.nn.Module,
                    optimizer: torch.optim.Optimizer, meta: dict[str, Any]) -> Path:
    """Write a checkpoint folder atomically (the previous one at ``path`` is replaced whole)."""
    tensors = {f"online.{k}": v for k, v in online.state_dict().items()}
    tensors.update({f"teacher.{k}": v for k, v in teacher.state_dict().items()})
    opt_tensors, opt_info = optimizer_to_tensors(optimizer)
    payload = {**meta, "format": CHECKPOINT_FORMAT, "optimizer": opt_info}
    with building_dir(path) as tmp:
        write_bytes(tmp / MODEL_FILE, to_safetensors_bytes(tensors, {"format": CHECKPOINT_FORMAT}))
        write_bytes(tmp / OPTIMIZER_FILE, to_safetensors_bytes(opt_tensors, {"format": CHECKPOINT_FORMAT}))
        write_json(tmp / CONFIG_FILE, payload)
    return Path(path)


def is_checkpoint(path: str | Path) -> bool:
    path = Path(path)
    return (path / CONFIG_FILE).is_file() and (path / MODEL_FILE).is_file()


def load_checkpoint(path: str | Path, *, with_optimizer: bool = True) -> Checkpoint:
    path = Path(path)
    if not is_checkpoint(path):
        raise DataError(f"{path} is not a pretraining checkpoint (needs {MODEL_FILE} and {CONFIG_FILE})",
                        "pass the checkpoint folder written by `harness pretrain`")
    meta = read_json(path / CONFIG_FILE)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise DataError(f"{path} has checkpoint format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT!r}",
                        "re-create it with this version of `harness pretrain`")
    optim = read_safetensors(path / OPTIMIZER_FILE) if with_optimizer and (path / OPTIMIZER_FILE).is_file() else {}
    return Checkpoint(path, meta, read_safetensors(path / MODEL_FILE), optim)


def export_encoder(checkpoint_dir: str | Path, out_path: str | Path, *, which: str = "online",
                   dtype: torch.dtype = torch.float16, extra: dict[str, Any] | None = None) -> Path:
    """Write only the encoder of a checkpoint as ``out_path`` (.safetensors) + a ``.json`` sidecar.

    ``which`` picks the online (student) or the momentum ``teacher`` encoder. Floating tensors are
    cast to ``dtype`` (float16 by default: shipped files stay small; loading casts back to float32).
    """
    if which not in ("online", "teacher"):
        raise DataError(f"unknown encoder copy '{which}'", "use online or teacher")
    ckpt = load_checkpoint(checkpoint_dir, with_optimizer=False)
    encoder = ckpt.part(f"{which}.encoder")
    if not encoder:
        raise DataError(f"checkpoint {checkpoint_dir} holds no {which}.encoder tensors",
                        "pass a checkpoint written by `harness pretrain`")
    cast = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in encoder.items()}
    out_path = Path(out_path)
    if out_path.suffix != ".safetensors":
        out_path = out_path.with_suffix(".safetensors")
    data = to_safetensors_bytes(cast, {"format": EXPORT_FORMAT})
    meta = ckpt.meta
    recipe = meta.get("recipe", {})
    sidecar = {
        "format": EXPORT_FORMAT, "encoder": recipe.get("encoder"), "which": which,
        "dtype": str(dtype).replace("torch.", ""), "model": recipe.get("model"),
        "architecture": meta.get("architecture"), "input_spec": recipe.get("input_spec"),
        "objective": {k: recipe.get(k) for k in ("pair_policy", "losses", "augmentations", "momentum")},
        "training_datasets": [d.get("name") for d in meta.get("data", [])],
        "data": meta.get("data"), "step": meta.get("step"), "seed": meta.get("config", {}).get("seed"),
        "effective_rank": meta.get("metrics", {}).get("effective_rank"),
        "state_sha256": state_sha256(cast), "file_sha256": hashlib.sha256(data).hexdigest(),
        "parameters": int(sum(v.numel() for k, v in cast.items()
                              if v.is_floating_point() and not k.endswith(("running_mean", "running_var")))),
        "source_checkpoint": str(Path(checkpoint_dir)),
        "git_commit": meta.get("git_commit"), "versions": meta.get("versions"),
        "training": {k: meta.get(k) for k in ("config", "world_size", "device", "amp", "wall_time_s",
                                              "lr_milestones", "loader")},
        **(extra or {}),
    }
    write_bytes(out_path, data)
    write_json(out_path.with_suffix(".json"), sidecar)
    return out_path
