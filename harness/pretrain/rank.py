"""Smooth effective rank of embeddings: a cheap, label-free collapse check.

Roy & Vetterli (2007): with singular values ``σ`` of the embedding matrix and ``p_k = σ_k / Σσ``,
the effective rank is ``exp(-Σ p_k log p_k)``, between 1 (all rows on one line) and ``min(n, d)``.
The AHMS paper reports ≈104 (PPG) / ≈114 (ECG) for its full model on 256-d embeddings.
"""

from __future__ import annotations

import hashlib

import numpy as np

from harness.errors import DataError


def effective_rank(embeddings: np.ndarray, *, center: bool = False, eps: float = 1e-12) -> float:
    """Smooth effective rank of a ``(n, d)`` matrix (rows = samples).

    ``center`` subtracts the column means first (off by default, as in Roy & Vetterli and RankMe).
    """
    x = np.asarray(embeddings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise DataError(f"effective rank needs a non-empty (n, d) matrix, got shape {x.shape}",
                        "pass at least one embedding row")
    if not np.isfinite(x).all():
        raise DataError("embeddings contain NaN or inf", "check the encoder output (training diverged?)")
    if center:
        x = x - x.mean(axis=0, keepdims=True)
    sigma = np.linalg.svd(x, compute_uv=False)
    total = sigma.sum()
    if total <= eps:
        return 1.0
    p = sigma / total + eps
    return float(np.exp(-(p * np.log(p)).sum()))


def holdout_mask(participant_ids: np.ndarray, fraction: float, *, salt: str = "") -> np.ndarray:
    """Boolean mask of participants held out of training, chosen by a hash of their id.

    Stable across runs, machines and store rebuilds (depends on the id only). With ``fraction > 0``
    at least one participant is held out when there are two or more.
    """
    ids = np.asarray(participant_ids).astype(str)
    if fraction <= 0 or len(ids) == 0:
        return np.zeros(len(ids), dtype=bool)
    scores = np.array([int.from_bytes(hashlib.sha256(f"{salt}:{pid}".encode()).digest()[:8], "big")
                       for pid in ids], dtype=np.float64) / 2.0**64
    mask = scores < fraction
    if not mask.any() and len(ids) >= 2:
        mask[int(np.argmin(scores))] = True
    if mask.all():
        mask[int(np.argmax(scores))] = False
    return mask
