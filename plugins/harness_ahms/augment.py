"""Batched, reproducible signal augmentations for (B, C, T) tensors (the AHMS cascade's transforms; the
core's :class:`harness.pretrain.components.Cascade` applies the registered ones in the recipe's order).

Randomness: every random number is drawn from the ``generator`` passed to ``__call__``, **on the
generator's device**, then moved to the data's device. So a CPU generator works for data on any device
(the draws, including Gaussian noise, happen on the CPU and are copied over), and a CUDA generator on the
data's device avoids the copies. The output depends only on the input, the generator state and the
generator's device, not on where the data lives. ``None`` uses torch's default CPU generator.

Each transform decides per sample, with probability ``p``, whether to act; samples it skips are returned
unchanged. A transform with ``p == 0`` is the identity and draws nothing. Inputs are never modified in
place.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from harness import UsageError
from harness_ahms import AUGMENTATION_DEFAULTS

DEFAULTS: dict[str, dict[str, dict[str, Any]]] = AUGMENTATION_DEFAULTS
"""Per-modality defaults: ``DEFAULTS[modality][transform name] = params``; see the package ``__init__``."""


# ------------------------------------------------------------------------------------------------ helpers
def _draw_device(generator: torch.Generator | None) -> torch.device:
    return generator.device if generator is not None else torch.device("cpu")


def _rand(shape: Sequence[int], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    """U(0, 1) of ``shape``, drawn on the generator's device, returned on ``like``'s device (float32)."""
    out = torch.rand(tuple(shape), generator=generator, device=_draw_device(generator))
    return out.to(like.device)


def _randn(shape: Sequence[int], generator: torch.Generator | None, like: torch.Tensor) -> torch.Tensor:
    out = torch.randn(tuple(shape), generator=generator, device=_draw_device(generator))
    return out.to(like.device)


@functools.lru_cache(maxsize=32)
def _spline_basis_cpu(n_knots: int, length: int) -> torch.Tensor:
    """(length, n_knots) matrix W: a natural cubic spline through knots y evaluated at ``length`` evenly
    spaced points spanning the knots is ``W @ y`` (the spline is linear in y; knots are evenly spaced)."""
    k = n_knots
    if k < 2:
        raise UsageError(f"a cubic curve needs at least 2 knots, got {k}", "use n_knots >= 2")
    eye = torch.eye(k, dtype=torch.float64)
    # Second derivatives M: M_0 = M_{k-1} = 0, M_{i-1} + 4 M_i + M_{i+1} = 6 (y_{i-1} - 2 y_i + y_{i+1}).
    m = torch.zeros(k, k, dtype=torch.float64)  # M = m @ y
    if k > 2:
        a = 4 * torch.eye(k - 2, dtype=torch.float64)
        a += torch.diag(torch.ones(k - 3, dtype=torch.float64), 1)
        a += torch.diag(torch.ones(k - 3, dtype=torch.float64), -1)
        second_diff = 6 * (eye[:-2] - 2 * eye[1:-1] + eye[2:])  # (k-2, k)
        m[1:-1] = torch.linalg.solve(a, second_diff)
    u = torch.linspace(0, k - 1, length, dtype=torch.float64)
    i = u.floor().clamp(max=k - 2).long()
    t = (u - i).unsqueeze(1)
    basis = ((1 - t) * eye[i] + t * eye[i + 1]
             + ((1 - t) ** 3 - (1 - t)) * m[i] / 6 + (t ** 3 - t) * m[i + 1] / 6)
    return basis.float()


def cubic_curve(knots: torch.Tensor, length: int) -> torch.Tensor:
    """Natural cubic spline through evenly spaced ``knots`` (..., K), sampled at ``length`` evenly
    spaced points from the first knot to the last: returns (..., length). Vectorised over leading dims."""
    basis = _spline_basis_cpu(int(knots.shape[-1]), int(length)).to(device=knots.device, dtype=knots.dtype)
    return knots @ basis.T


def interpolate_linear(x: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Sample ``x`` (..., T) at fractional ``positions`` (..., T') in [0, T-1] by linear interpolation."""
    length = x.shape[-1]
    if length == 1:
        return x.expand(*positions.shape).clone()
    pos = positions.clamp(0, length - 1)
    i0 = pos.floor().long().clamp(max=length - 2)
    frac = (pos - i0).to(x.dtype)
    return x.gather(-1, i0) * (1 - frac) + x.gather(-1, i0 + 1) * frac


def _check_x(x: torch.Tensor) -> None:
    if x.dim() != 3:
        raise UsageError(f"augmentations take (batch, channels, time) tensors, got shape {tuple(x.shape)}",
                         "add the missing batch or channel axis")


def _check_p(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise UsageError(f"augmentation probability p={p} is outside [0, 1]", "use 0 <= p <= 1")
    return p


# --------------------------------------------------------------------------------------------- transforms
class Transform:
    """Base: per-sample coin flips with probability ``p``, then one batched ``_apply`` on the chosen."""

    name: ClassVar[str] = ""

    def __init__(self, p: float) -> None:
        self.p = _check_p(p)

    def params(self) -> dict[str, Any]:
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "p": self.p, **self.params()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in {"p": self.p, **self.params()}.items())
        return f"{type(self).__name__}({args})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_x(x)
        if self.p == 0.0 or x.shape[0] == 0:
            return x
        apply = _rand((x.shape[0],), generator, x) < self.p
        chosen = apply.nonzero().squeeze(1)
        if chosen.numel() == 0:
            return x
        if chosen.numel() == x.shape[0]:
            return self._apply(x, generator)
        out = x.clone()
        out[chosen] = self._apply(x[chosen], generator)  # only the chosen samples pay for the transform
        return out

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        raise NotImplementedError


class CutOut(Transform):
    """Zero one contiguous block of ``U(min_frac, max_frac)`` of the length, across all channels."""

    name = "cut-out"

    def __init__(self, p: float = 0.4, min_frac: float = 0.3, max_frac: float = 0.5) -> None:
        super().__init__(p)
        if not 0.0 <= min_frac <= max_frac <= 1.0:
            raise UsageError(f"cut-out fractions {min_frac}..{max_frac} are invalid",
                             "use 0 <= min_frac <= max_frac <= 1")
        self.min_frac, self.max_frac = float(min_frac), float(max_frac)

    def params(self) -> dict[str, Any]:
        return {"min_frac": self.min_frac, "max_frac": self.max_frac}

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        b, _, t = x.shape
        u = _rand((b, 2), generator, x)
        frac = self.min_frac + (self.max_frac - self.min_frac) * u[:, 0]
        width = torch.round(frac * t).long().clamp(0, t)
        start = torch.floor(u[:, 1] * (t - width + 1)).long().clamp(min=0)
        start = torch.minimum(start, t - width)
        pos = torch.arange(t, device=x.device)
        block = (pos >= start[:, None]) & (pos < (start + width)[:, None])
        return x.masked_fill(block[:, None, :], 0.0)


class MagnitudeWarp(Transform):
    """Multiply by a smooth curve: natural cubic spline through ``n_knots`` evenly spaced knots
    ~ N(1, sigma). ``per_channel`` draws one curve per channel instead of one per sample."""

    name = "magnitude-warp"

    def __init__(self, p: float = 0.25, n_knots: int = 7, sigma: float = 0.2,
                 per_channel: bool = False) -> None:
        super().__init__(p)
        if n_knots < 2 or sigma < 0:
            raise UsageError(f"magnitude warp n_knots={n_knots}, sigma={sigma}",
                             "use n_knots >= 2, sigma >= 0")
        self.n_knots, self.sigma, self.per_channel = int(n_knots), float(sigma), bool(per_channel)

    def params(self) -> dict[str, Any]:
        return {"n_knots": self.n_knots, "sigma": self.sigma, "per_channel": self.per_channel}

    def curves(self, shape: tuple[int, int, int], generator: torch.Generator | None,
               like: torch.Tensor) -> torch.Tensor:
        """The multiplicative curves, (B, C or 1, T)."""
        b, c, t = shape
        knots = 1.0 + self.sigma * _randn((b, c if self.per_channel else 1, self.n_knots), generator, like)
        return cubic_curve(knots, t)

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        return x * self.curves(tuple(x.shape), generator, x).to(x.dtype)


class TimeWarp(Transform):
    """Resample along a random monotone time map, keeping the length.

    The local speed is a natural cubic spline through ``n_knots`` knots ~ N(1, sigma) (clamped to at
    least ``min_speed`` so the map is strictly increasing); its cumulative sum, rescaled to run from 0 to
    T-1, gives the source position of each output sample (linear interpolation). One map per channel when
    ``per_channel``.
    """

    name = "time-warp"

    def __init__(self, p: float = 0.15, n_knots: int = 7, sigma: float = 0.1, per_channel: bool = True,
                 min_speed: float = 1e-2) -> None:
        super().__init__(p)
        if n_knots < 2 or sigma < 0 or min_speed <= 0:
            raise UsageError(f"time warp n_knots={n_knots}, sigma={sigma}, min_speed={min_speed}",
                             "use n_knots >= 2, sigma >= 0, min_speed > 0")
        self.n_knots, self.sigma = int(n_knots), float(sigma)
        self.per_channel, self.min_speed = bool(per_channel), float(min_speed)

    def params(self) -> dict[str, Any]:
        return {"n_knots": self.n_knots, "sigma": self.sigma, "per_channel": self.per_channel,
                "min_speed": self.min_speed}

    def time_maps(self, shape: tuple[int, int, int], generator: torch.Generator | None,
                  like: torch.Tensor) -> torch.Tensor:
        """Source positions (B, C or 1, T), strictly increasing from 0 to T-1."""
        b, c, t = shape
        knots = 1.0 + self.sigma * _randn((b, c if self.per_channel else 1, self.n_knots), generator, like)
        speed = cubic_curve(knots, t).clamp(min=self.min_speed).double()
        cum = torch.cumsum(speed, dim=-1)
        cum = cum - cum[..., :1]
        if t > 1:
            cum = cum * ((t - 1) / cum[..., -1:])
        return cum

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        maps = self.time_maps(tuple(x.shape), generator, x)
        return interpolate_linear(x, maps.expand(*x.shape))


class GaussianNoise(Transform):
    """Add N(0, s^2) noise, with s ~ U(min_sigma, max_sigma) drawn per sample (on z-scored signals)."""

    name = "gaussian-noise"

    def __init__(self, p: float = 0.25, min_sigma: float = 0.05, max_sigma: float = 0.1) -> None:
        super().__init__(p)
        if not 0.0 <= min_sigma <= max_sigma:
            raise UsageError(f"noise sigma range {min_sigma}..{max_sigma} is invalid",
                             "use 0 <= min_sigma <= max_sigma")
        self.min_sigma, self.max_sigma = float(min_sigma), float(max_sigma)

    def params(self) -> dict[str, Any]:
        return {"min_sigma": self.min_sigma, "max_sigma": self.max_sigma}

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        b = x.shape[0]
        sigma = self.min_sigma + (self.max_sigma - self.min_sigma) * _rand((b, 1, 1), generator, x)
        return x + (sigma * _randn(tuple(x.shape), generator, x)).to(x.dtype)


class ChannelPermute(Transform):
    """Shuffle each sample's channels with a uniformly random permutation (may be the identity)."""

    name = "channel-permute"

    def __init__(self, p: float = 0.25) -> None:
        super().__init__(p)

    def _apply(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        b, c, t = x.shape
        perm = torch.argsort(_rand((b, c), generator, x), dim=1)
        return x.gather(1, perm[:, :, None].expand(b, c, t))
