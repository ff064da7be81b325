"""AHMS self-supervised losses: symmetric InfoNCE against a momentum teacher, and the KoLeo regulariser.

Total loss (docs/method.md): ``InfoNCE(s1, s2, t1, t2, pid) + KoLeo(s1) [+ KoLeo(s2)]`` where
``KoLeo`` already includes its weight λ. The teacher tensors should come from the EMA model under
``torch.no_grad()`` (or be detached) so that only the student gets gradients.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from harness import UsageError


def _check_pair(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.dim() != 2 or a.shape != b.shape:
        raise UsageError(f"{what}: expected two (batch, dim) tensors of the same shape, got "
                         f"{tuple(a.shape)} and {tuple(b.shape)}", "pass the projections of both views")


class InfoNCE(nn.Module):
    """Symmetric NT-Xent between student and teacher projections (all L2-normalised inside).

    ``forward(s1, s2, t1, t2, participant_ids)`` returns ``½[NCE(s1, t2) + NCE(s2, t1)]`` with

        NCE(a, b) = mean_i  -log( exp(a_i·b_i/τ) / Σ_{j ∈ N(i) ∪ {i}} exp(a_i·b_j/τ) )

    Negatives are **cross-view teacher only**: for anchor ``a_i`` (student, view 1) the candidates are
    the teacher projections of the other view ``b_j``, j ≠ i (not the student's own view, unlike the full
    SimCLR 2N-2 set). With ``mask_same_participant`` and ``participant_ids`` given, N(i) excludes every j
    whose participant equals i's, since those are positives of the participant-level objective, not
    negatives. The positive ``b_i`` is always kept.
    """

    def __init__(self, temperature: float = 0.04, mask_same_participant: bool = True) -> None:
        super().__init__()
        if temperature <= 0:
            raise UsageError(f"InfoNCE temperature {temperature} must be positive", "use e.g. 0.04")
        self.temperature = float(temperature)
        self.mask_same_participant = bool(mask_same_participant)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, mask_same_participant={self.mask_same_participant}"

    def nce(self, a: torch.Tensor, b: torch.Tensor,
            participant_ids: torch.Tensor | None = None) -> torch.Tensor:
        """One direction: anchors ``a`` (B, D), positives ``b_i``, negatives ``b_j`` as documented."""
        _check_pair(a, b, "InfoNCE")
        a = F.normalize(a.float(), dim=1)
        b = F.normalize(b.float(), dim=1)
        logits = a @ b.T / self.temperature
        if self.mask_same_participant and participant_ids is not None:
            pid = participant_ids.to(logits.device).reshape(-1)
            if pid.numel() != logits.shape[0]:
                raise UsageError(f"InfoNCE got {pid.numel()} participant ids for a batch of "
                                 f"{logits.shape[0]}", "pass one participant id per pair")
            same = pid[:, None] == pid[None, :]
            same.fill_diagonal_(False)
            logits = logits.masked_fill(same, float("-inf"))
        target = torch.arange(logits.shape[0], device=logits.device)
        return F.cross_entropy(logits, target)

    def forward(self, s1: torch.Tensor, s2: torch.Tensor, t1: torch.Tensor, t2: torch.Tensor,
                participant_ids: torch.Tensor | None = None) -> torch.Tensor:
        return 0.5 * (self.nce(s1, t2, participant_ids) + self.nce(s2, t1, participant_ids))


class KoLeo(nn.Module):
    """Kozachenko-Leonenko spreading term (as in DINOv2), already multiplied by ``weight``.

    ``forward(z) = weight · (-mean_i log d_i)`` with ``d_i = sqrt(||ẑ_i - ẑ_nn(i)||² + eps²)``, ẑ the
    L2-normalised rows of z and nn(i) the nearest other row (chosen without gradient). ``eps`` keeps the
    log and its gradient finite for duplicate rows. Use :meth:`value` for the unweighted term.
    """

    def __init__(self, weight: float = 0.1, eps: float = 1e-8) -> None:
        super().__init__()
        self.weight = float(weight)
        self.eps = float(eps)

    def extra_repr(self) -> str:
        return f"weight={self.weight}, eps={self.eps}"

    def value(self, z: torch.Tensor) -> torch.Tensor:
        """Unweighted KoLeo term of ``z`` (B, D), B >= 2."""
        if z.dim() != 2 or z.shape[0] < 2:
            raise UsageError(f"KoLeo needs a (batch >= 2, dim) tensor, got {tuple(z.shape)}",
                             "use a batch of at least 2")
        z = F.normalize(z.float(), dim=1)
        with torch.no_grad():
            sim = z @ z.T
            sim.fill_diagonal_(float("-inf"))
            nearest = sim.argmax(dim=1)
        sq = (z - z[nearest]).pow(2).sum(dim=1)
        return -torch.log(torch.sqrt(sq + self.eps ** 2)).mean()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.weight * self.value(z)
