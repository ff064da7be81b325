"""The two views of a pair, made on the training device: clean, normalise, crop, augment.

The loader hands over segments fitted to the encoder's window but otherwise as stored (NaN padding
beyond each row's valid length), so its work per segment is a decode and a gather; the per-sample
passes run here, where a GPU does them in one fused pass and a CPU does them once per view. Every
random draw comes from a generator seeded by ``(seed, rank, step)`` (on the CPU, see
:mod:`plugins.harness_ahms.augment`), so views do not depend on the device count or on history.

Normalisation matches :func:`harness.adapter.adapt`: non-finite samples become zero, statistics are
taken in float64 over each row's valid samples, and padding stays zero. (The adapter takes the
statistics before fitting the window; here they come from the fitted window. The two differ only for
stores whose segments are longer than the window or tiled, and the window is what the encoder sees.)
"""

from __future__ import annotations

from typing import Any

import torch

from harness.encoders import InputSpec
from harness.pretrain.loader import batch_views, torch_generator


def normalise(x: torch.Tensor, valid: torch.Tensor | None, kind: str) -> torch.Tensor:
    """Clean and normalise ``(B, C, T)`` rows over their first ``valid[b]`` samples (float32 out)."""
    x = torch.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    if kind == "none":
        return x
    total = x.shape[-1]
    wide = x.double()
    if valid is None or bool((valid >= total).all()):
        if kind == "zscore":
            std, mean = torch.std_mean(wide, dim=-1, correction=0, keepdim=True)
            out = (wide - mean) / std.clamp_min(1e-6)
        else:
            low = wide.amin(dim=-1, keepdim=True)
            span = wide.amax(dim=-1, keepdim=True) - low
            out = 2 * (wide - low) / (span + 1e-8) - 1
        return out.float()
    valid = valid.to(x.device)
    mask = (torch.arange(total, device=x.device)[None, :] < valid[:, None])[:, None, :]
    count = valid.clamp_min(1)[:, None, None].double()
    if kind == "zscore":
        mean = (wide * mask).sum(-1, keepdim=True) / count
        dev = (wide - mean) * mask
        std = ((dev * dev).sum(-1, keepdim=True) / count).sqrt()
        out = dev / std.clamp_min(1e-6)
    else:
        low = torch.where(mask, wide, torch.inf).amin(dim=-1, keepdim=True)
        span = torch.where(mask, wide, -torch.inf).amax(dim=-1, keepdim=True) - low
        out = (2 * (wide - low) / (span + 1e-8) - 1) * mask
    return out.float()


def crop_starts(x: torch.Tensor, length: int, generator: torch.Generator) -> torch.Tensor:
    """An independent random window start for each row of ``(B, C, T)`` (all zero when it fits)."""
    total = x.shape[-1]
    if length >= total:
        return torch.zeros(x.shape[0], dtype=torch.int64)
    return torch.randint(0, total - length + 1, (x.shape[0],), generator=generator)


def crop_at(x: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    """The window of ``length`` samples starting at ``starts[b]`` in each row ``b`` of ``(B, C, T)``.

    A budget option for CPU pretraining (``--crop-seconds``): the encoder is fully convolutional with
    global pooling, so it trains on short windows and embeds the full window at evaluation.
    """
    if length >= x.shape[-1]:
        return x
    starts = starts.to(x.device)
    index = starts[:, None] + torch.arange(length, device=x.device)[None, :]
    return torch.gather(x, 2, index[:, None, :].expand(-1, x.shape[1], -1))


class ViewMaker:
    """Turns a loader batch into the two model inputs on ``device``."""

    def __init__(self, spec: InputSpec, policy: Any, augment: Any, *, seed: int, rank: int = 0,
                 crop_samples: int | None = None) -> None:
        self.spec, self.augment = spec, augment
        self.same_window = bool(getattr(policy, "same_window", False))
        self.seed, self.rank, self.crop_samples = int(seed), int(rank), crop_samples

    def __call__(self, batch: dict[str, Any], device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        device = torch.device(device)
        step = int(batch["step"])
        raw1, raw2 = batch_views(batch, device)
        x1 = normalise(raw1, batch.get("valid1"), self.spec.normalise)
        x2 = normalise(raw2, batch.get("valid2"), self.spec.normalise)
        if self.crop_samples:
            gen = torch_generator(self.seed, "crop", self.rank, step)
            starts1 = crop_starts(x1, self.crop_samples, gen)
            # one input, two augmentations (same_window): the window must be shared too
            starts2 = starts1 if self.same_window else crop_starts(x2, self.crop_samples, gen)
            x1 = crop_at(x1, starts1, self.crop_samples)
            x2 = crop_at(x2, starts2, self.crop_samples)
        if self.augment is not None:
            gen = torch_generator(self.seed, "augment", self.rank, step)
            x1 = self.augment(x1, gen)
            x2 = self.augment(x2, gen)
        return x1.contiguous(), x2.contiguous()
