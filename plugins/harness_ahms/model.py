"""The AHMS encoder: a 1-D EfficientNet (256-d embedding) plus the SSL projection head.

Follows ``docs/method.md``. Every architecture value marked (≈) there lives in :class:`EfficientNet1DConfig` as a
default, so it can be changed and is recorded in each checkpoint's config (``to_dict``/``from_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import torch
from torch import nn

from harness import UsageError

PPG_WIDTHS = (28, 35, 35, 49, 49, 64, 64, 64, 78, 78, 78, 99, 99, 99, 99, 128)
PPG_KERNELS = (3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5)  # 3 in blocks 1-3 and 6-8
PPG_STRIDES = (1, 2, 1, 2, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1)  # stride 2 in blocks 2, 4, 6, 9, 12


def _expansions(first: int, rest: int, n: int) -> tuple[int, ...]:
    return (first,) + (rest,) * (n - 1)


@dataclass
class EfficientNet1DConfig:
    """Architecture of encoder + projection head. Per-block tuples all have one entry per MBConv block."""

    in_channels: int
    stem_width: int = 42
    stem_kernel: int = 3
    stem_stride: int = 2
    widths: tuple[int, ...] = PPG_WIDTHS
    kernels: tuple[int, ...] = PPG_KERNELS
    strides: tuple[int, ...] = PPG_STRIDES
    expansions: tuple[int, ...] = field(default_factory=lambda: _expansions(1, 7, 16))
    se_ratio: float = 0.25
    bn_eps: float = 1e-3
    bn_momentum: float = 0.1
    embed_dim: int = 256
    proj_hidden: int = 1024
    proj_dim: int = 128
    proj_dropout: float = 0.1

    def __post_init__(self) -> None:
        for name in ("widths", "kernels", "strides", "expansions"):
            setattr(self, name, tuple(int(v) for v in getattr(self, name)))
        n = len(self.widths)
        if n == 0 or any(len(getattr(self, k)) != n for k in ("kernels", "strides", "expansions")):
            raise UsageError(
                f"encoder config has {len(self.widths)} widths, {len(self.kernels)} kernels, "
                f"{len(self.strides)} strides and {len(self.expansions)} expansions",
                "give one width, kernel, stride and expansion per block",
            )
        if self.in_channels < 1:
            raise UsageError(f"encoder config in_channels={self.in_channels}", "use at least 1 channel")

    @property
    def downsample(self) -> int:
        """Total temporal downsampling of the encoder before pooling."""
        factor = self.stem_stride
        for s in self.strides:
            factor *= s
        return factor

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (tuples become lists) for checkpoint configs."""
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EfficientNet1DConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"encoder config has unknown keys {unknown}",
                             f"use only {sorted(known)}")
        return cls(**dict(data))


def _small(in_channels: int, expansion: int) -> EfficientNet1DConfig:
    """CPU-friendly quick-pretraining variant: 8 narrower blocks, same 64x downsampling and 256-d output."""
    return EfficientNet1DConfig(
        in_channels=in_channels, stem_width=16,
        widths=(16, 24, 24, 32, 48, 48, 64, 80),
        kernels=(3, 3, 3, 5, 3, 3, 5, 5),
        strides=(1, 2, 1, 2, 2, 1, 2, 2),
        expansions=_expansions(1, expansion, 8),
        proj_hidden=256,
    )


CONFIGS: dict[str, EfficientNet1DConfig] = {
    "ahms-ppg": EfficientNet1DConfig(in_channels=4),
    "ahms-ecg": EfficientNet1DConfig(in_channels=1, expansions=_expansions(1, 6, 16)),
    "ahms-ppg-small": _small(4, 4),
    "ahms-ecg-small": _small(1, 4),
}


def get_config(name: str, **overrides: Any) -> EfficientNet1DConfig:
    """A copy of a named config, with fields overridden."""
    if name not in CONFIGS:
        raise UsageError(f"unknown AHMS model config '{name}'", f"use one of {sorted(CONFIGS)}")
    return replace(CONFIGS[name], **overrides)


class SqueezeExcite1d(nn.Module):
    """Channel gating from the time-averaged activations."""

    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.reduce = nn.Conv1d(channels, squeezed, 1)
        self.expand = nn.Conv1d(squeezed, channels, 1)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=-1, keepdim=True)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))


class MBConv1d(nn.Module):
    """Inverted residual block: [expand 1x1] -> depthwise -> SE -> project 1x1 (+ residual)."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expansion: int,
                 se_ratio: float, bn_eps: float, bn_momentum: float) -> None:
        super().__init__()
        mid = in_ch * expansion
        layers: list[nn.Module] = []
        if expansion > 1:
            layers += [nn.Conv1d(in_ch, mid, 1, bias=False),
                       nn.BatchNorm1d(mid, eps=bn_eps, momentum=bn_momentum), nn.SiLU()]
        layers += [nn.Conv1d(mid, mid, kernel, stride=stride, padding=kernel // 2, groups=mid, bias=False),
                   nn.BatchNorm1d(mid, eps=bn_eps, momentum=bn_momentum), nn.SiLU()]
        if se_ratio > 0:
            layers.append(SqueezeExcite1d(mid, max(1, int(mid * se_ratio))))
        layers += [nn.Conv1d(mid, out_ch, 1, bias=False),
                   nn.BatchNorm1d(out_ch, eps=bn_eps, momentum=bn_momentum)]
        self.block = nn.Sequential(*layers)
        self.use_residual = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return x + out if self.use_residual else out


class EfficientNet1D(nn.Module):
    """(B, C, T) -> (B, embed_dim): stem, MBConv blocks, 1x1 conv to embed_dim, global average pool."""

    def __init__(self, config: EfficientNet1DConfig) -> None:
        super().__init__()
        c = config
        self.config = c
        self.stem = nn.Sequential(
            nn.Conv1d(c.in_channels, c.stem_width, c.stem_kernel, stride=c.stem_stride,
                      padding=c.stem_kernel // 2, bias=False),
            nn.BatchNorm1d(c.stem_width, eps=c.bn_eps, momentum=c.bn_momentum), nn.SiLU())
        blocks = []
        in_ch = c.stem_width
        for width, kernel, stride, expansion in zip(c.widths, c.kernels, c.strides, c.expansions):
            blocks.append(MBConv1d(in_ch, width, kernel, stride, expansion, c.se_ratio, c.bn_eps,
                                   c.bn_momentum))
            in_ch = width
        self.blocks = nn.Sequential(*blocks)
        self.top = nn.Sequential(
            nn.Conv1d(in_ch, c.embed_dim, 1, bias=False),
            nn.BatchNorm1d(c.embed_dim, eps=c.bn_eps, momentum=c.bn_momentum), nn.SiLU())

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """(B, embed_dim, T / downsample) feature map before pooling."""
        return self.top(self.blocks(self.stem(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean(dim=-1)


class ProjectionHead(nn.Module):
    """MLP embed_dim -> proj_hidden -> proj_dim with ReLU and dropout, no BatchNorm (SSL loss only)."""

    def __init__(self, config: EfficientNet1DConfig) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.embed_dim, config.proj_hidden), nn.ReLU(), nn.Dropout(config.proj_dropout),
            nn.Linear(config.proj_hidden, config.proj_dim))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)


class SSLModel(nn.Module):
    """Encoder + projection head; ``embed`` is what probes use, ``forward`` feeds the SSL loss."""

    def __init__(self, config: EfficientNet1DConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = EfficientNet1D(config)
        self.head = ProjectionHead(config)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) -> (B, embed_dim) embedding."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, T) -> (B, proj_dim) projection, not normalised (the losses normalise)."""
        return self.head(self.encoder(x))


def build_ssl_model(name_or_config: str | EfficientNet1DConfig | Mapping[str, Any]) -> SSLModel:
    """Build from a ``CONFIGS`` name, a config, or a config dict (as stored in a checkpoint)."""
    if isinstance(name_or_config, str):
        config = get_config(name_or_config)
    elif isinstance(name_or_config, EfficientNet1DConfig):
        config = name_or_config
    else:
        config = EfficientNet1DConfig.from_dict(name_or_config)
    return SSLModel(config)


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)
