"""Participant-contrastive pretraining over signal stores (see ``docs/method.md``).

The core trainer is generic: the model builder, augmentations, losses and pair policy come from the
plugin registries, named by the encoder's ``pretrain`` registry metadata (see
:mod:`harness.pretrain.config`). Torch is imported only when these modules are.
"""

from harness.pretrain.checkpoint import export_encoder, load_checkpoint, read_safetensors, save_checkpoint
from harness.pretrain.config import PretrainConfig, Recipe, resolve_recipe
from harness.pretrain.rank import effective_rank, holdout_mask
from harness.pretrain.trainer import Trainer, ema_update, learning_rate, pretrain

__all__ = [
    "PretrainConfig", "Recipe", "Trainer", "effective_rank", "ema_update", "export_encoder", "holdout_mask",
    "learning_rate", "load_checkpoint", "pretrain", "read_safetensors", "resolve_recipe", "save_checkpoint",
]
