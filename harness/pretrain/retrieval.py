"""Participant retrieval on held-out participants: does the embedding know who a segment belongs to?

The participant-level objective exists to make segments of one person close; the effective rank
cannot tell whether it did. For every held-out segment whose participant has another held-out
segment, the nearest other segment (cosine) is looked up; the score is the fraction that belong to
the same participant. ``chance`` is the same fraction for a random neighbour.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.errors import DataError


def participant_retrieval(embeddings: np.ndarray, participant_ids: np.ndarray) -> dict[str, Any] | None:
    """Top-1 same-participant retrieval accuracy and its chance level (``None`` when meaningless)."""
    x = np.asarray(embeddings, dtype=np.float64)
    ids = np.asarray(participant_ids)
    if x.ndim != 2 or len(x) != len(ids):
        raise DataError(f"need one participant id per embedding row, got {x.shape} and {ids.shape}",
                        "pass matching arrays")
    _, codes, counts = np.unique(ids, return_inverse=True, return_counts=True)
    queries = np.flatnonzero(counts[codes] >= 2)
    if len(queries) == 0 or len(counts) < 2:
        return None  # nothing to retrieve, or one participant only (every neighbour is a hit)
    unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    hits = 0
    for start in range(0, len(queries), 1024):  # blocks keep memory at 1024 x n
        q = queries[start:start + 1024]
        sim = unit[q] @ unit.T
        sim[np.arange(len(q)), q] = -np.inf  # never retrieve the query itself
        hits += int((codes[sim.argmax(axis=1)] == codes[q]).sum())
    chance = float(((counts[codes[queries]] - 1) / (len(x) - 1)).mean())
    return {"top1": hits / len(queries), "chance": chance, "queries": len(queries)}
