"""Build a zoo model from its card, and turn an official checkpoint into its exact state dict.

``state_dict_from_checkpoint`` is what ``harness weights import`` calls (through each spec's
``weights_import``): it unwraps the training container the authors saved (Pulse-PPG's ``{"net": ...}``),
strips the DDP ``module.`` prefix, drops the pretraining heads no embedding uses, renames tensors other
library versions spell differently (HuBERT's weight-norm ``weight_g``/``weight_v``), and refuses, in one
line, tensors that are missing, unexpected or of another shape than the architecture written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from harness import DataError
from harness_zoo.cards import CARDS, ZooCard
from harness_zoo.resnet1d import PaPaGeiResNet, PulsePPGResNet


def build_model(name: str) -> nn.Module:
    """The architecture of zoo encoder ``name`` with freshly initialised weights (eval mode)."""
    card = CARDS[name]
    model: nn.Module
    if name == "ecgfounder-1lead":
        from harness_zoo.net1d import Net1D

        return Net1D(**{k: v for k, v in card.config.items() if k != "class"}).eval()
    if name == "hubert-ecg-base":
        from harness_zoo.hubert import HuBERTECG

        return HuBERTECG(card.config).eval()
    settings = {k: card.config[k] for k in ("base_filters", "kernel_size", "stride", "groups", "n_block")}
    if name.startswith("papagei"):
        model = PaPaGeiResNet(**settings, n_classes=card.config["n_classes"],
                              n_experts=card.config.get("n_experts", 0))
    elif name == "pulse-ppg":
        model = PulsePPGResNet(**settings)
    else:  # pragma: no cover - every card has a builder (tests/zoo checks)
        raise KeyError(name)
    return model.eval()


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _unwrap(card: ZooCard, obj: Any) -> Mapping[str, Any]:
    """The state dict inside what ``torch.load`` returned (a bare state dict or a training container)."""
    if isinstance(obj, Mapping):
        for key in card.containers:
            if isinstance(obj.get(key), Mapping):
                return obj[key]
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return obj
    found = sorted(obj)[:5] if isinstance(obj, Mapping) else type(obj).__name__
    raise DataError(f"the checkpoint holds no state dict of {card.name} (found {found})",
                    f"pass the official file {card.weights_file} from {card.weights_url}")


def _strip(card: ZooCard, name: str) -> str:
    """The checkpoint's tensor name in this architecture's spelling."""
    for prefix in card.prefixes:
        if name.startswith(prefix):
            name = name[len(prefix):]
    for old, new in card.renamed:
        if name.endswith(old):
            return name[:-len(old)] + new
    return name


def _listed(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def state_dict_from_checkpoint(name: str, obj: Any) -> dict[str, torch.Tensor]:
    """Official checkpoint contents -> the exact state dict of :func:`build_model` (cast to its dtypes)."""
    card = CARDS[name]
    state = {_strip(card, str(k)): v for k, v in _unwrap(card, obj).items()}
    state = {k: v for k, v in state.items() if not k.startswith(card.ignored_prefixes)}
    not_tensors = sorted(k for k, v in state.items() if not isinstance(v, torch.Tensor))
    expected = build_model(name).state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected or not_tensors:
        parts = [f"{len(missing)} missing ({_listed(missing)})" if missing else "",
                 f"{len(unexpected)} unexpected ({_listed(unexpected)})" if unexpected else "",
                 f"{len(not_tensors)} not tensors ({_listed(not_tensors)})" if not_tensors else ""]
        raise DataError(f"the checkpoint does not match the {name} architecture: "
                        f"{'; '.join(p for p in parts if p)} tensors",
                        f"pass the official file {card.weights_file} from {card.weights_url}")
    wrong = sorted(k for k, v in expected.items() if tuple(state[k].shape) != tuple(v.shape))
    if wrong:
        k = wrong[0]
        raise DataError(f"the checkpoint does not match the {name} architecture: {len(wrong)} tensors of "
                        f"another shape ({k} is {tuple(state[k].shape)}, expected {tuple(expected[k].shape)})",
                        f"pass the official file {card.weights_file} from {card.weights_url}")
    return {k: state[k].detach().to(v.dtype).contiguous() for k, v in expected.items()}
