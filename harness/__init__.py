"""biosignal-harness: an open benchmark harness for wearable biosignal foundation models.

The core defines contracts (pluggy hook specs and one typed spec per plugin kind) and machinery (signal
store, input adapter, probes, results, leaderboard); it knows no particular model or dataset. Built-in
models, tasks and datasets live in ``plugins/`` and ``datasets/`` and register through the same entry
points a third-party package uses.

This module is the public API for plugin authors: import from ``harness``, not from its submodules.
Names load on first use (PEP 562), so ``import harness`` stays cheap and never imports torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # the plugin contract
    "hookimpl": "harness.hookspecs",
    "EncoderSpec": "harness.specs", "AugmentationSpec": "harness.specs", "LossSpec": "harness.specs",
    "PairPolicySpec": "harness.specs", "RecipeSpec": "harness.specs", "SpecError": "harness.specs",
    "DatasetSpec": "harness.datasets", "BuildRequest": "harness.datasets",
    "TaskSpec": "harness.tasks",
    "Encoder": "harness.encoders", "InputSpec": "harness.encoders", "Batch": "harness.encoders",
    "PairPolicy": "harness.pairing", "ParticipantIndex": "harness.pairing",
    # errors: one line naming the problem and the fix
    "HarnessError": "harness.errors", "UsageError": "harness.errors", "DataError": "harness.errors",
    "PluginError": "harness.errors", "RuntimeFault": "harness.errors",
    # what plugins call
    "StoreWriter": "harness.store", "write_text": "harness.atomic", "write_json": "harness.atomic",
    "data_dir": "harness.settings", "sha256_file": "harness.fetch", "trace_module": "harness.inference",
    # the Python API (what `harness run` does, without the subprocess)
    "evaluate": "harness.api", "load_encoder": "harness.api", "LoadedEncoder": "harness.api",
    "results_frame": "harness.api", "EncoderTransformer": "harness.transformer", "Result": "harness.results",
    # pretraining artefacts (safetensors + JSON; these import torch when first used)
    "CHECKPOINT_FORMAT": "harness.pretrain.checkpoint", "is_checkpoint": "harness.pretrain.checkpoint",
    "load_checkpoint": "harness.pretrain.checkpoint", "read_json": "harness.pretrain.checkpoint",
    "read_safetensors": "harness.pretrain.checkpoint", "state_sha256": "harness.pretrain.checkpoint",
    # for dataset builders reading recordings as the import layer does
    "find_channel": "harness.importing.channels", "mostly_flat": "harness.importing.segments",
}

__all__ = [
    "CHECKPOINT_FORMAT",
    "AugmentationSpec",
    "Batch",
    "BuildRequest",
    "DataError",
    "DatasetSpec",
    "Encoder",
    "EncoderSpec",
    "EncoderTransformer",
    "HarnessError",
    "InputSpec",
    "LoadedEncoder",
    "LossSpec",
    "PairPolicy",
    "PairPolicySpec",
    "ParticipantIndex",
    "PluginError",
    "RecipeSpec",
    "Result",
    "RuntimeFault",
    "SpecError",
    "StoreWriter",
    "TaskSpec",
    "UsageError",
    "__version__",
    "data_dir",
    "evaluate",
    "find_channel",
    "hookimpl",
    "is_checkpoint",
    "load_checkpoint",
    "load_encoder",
    "mostly_flat",
    "read_json",
    "read_safetensors",
    "results_frame",
    "sha256_file",
    "state_sha256",
    "trace_module",
    "write_json",
    "write_text",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from harness.api import LoadedEncoder, evaluate, load_encoder, results_frame
    from harness.atomic import write_json, write_text
    from harness.datasets import BuildRequest, DatasetSpec
    from harness.encoders import Batch, Encoder, InputSpec
    from harness.errors import DataError, HarnessError, PluginError, RuntimeFault, UsageError
    from harness.fetch import sha256_file
    from harness.hookspecs import hookimpl
    from harness.importing.channels import find_channel
    from harness.importing.segments import mostly_flat
    from harness.pairing import PairPolicy, ParticipantIndex
    from harness.pretrain.checkpoint import (
        CHECKPOINT_FORMAT,
        is_checkpoint,
        load_checkpoint,
        read_json,
        read_safetensors,
        state_sha256,
    )
    from harness.results import Result
    from harness.settings import data_dir
    from harness.specs import AugmentationSpec, EncoderSpec, LossSpec, PairPolicySpec, RecipeSpec, SpecError
    from harness.store import StoreWriter
    from harness.tasks import TaskSpec
    from harness.transformer import EncoderTransformer
