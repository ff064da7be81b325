"""Checks a store must pass before its segments are embedded (the reader validates structure; these
validate content that only shows when the segments are read)."""

from __future__ import annotations

import numpy as np

from harness.errors import DataError
from harness.store.reader import SignalStore

MIN_VALID_SECONDS = 1.0  # shorter recordings would be embedded as mostly zero padding


def check_lengths(store: SignalStore, n_valid: np.ndarray) -> None:
    """Refuse segments whose valid length is impossible or too short to embed meaningfully."""
    bad = np.flatnonzero((n_valid < 1) | (n_valid > store.samples))
    if bad.size:
        raise DataError(f"store {store.path} records {bad.size} segment lengths outside 1..{store.samples} "
                        f"(first: segment {int(bad[0])})", f"run `harness data validate {store.path}` and rebuild it")
    short = np.flatnonzero(n_valid < MIN_VALID_SECONDS * store.fs)
    if short.size:
        first = int(short[0])
        raise DataError(f"{short.size} segments of store {store.path} hold less than {MIN_VALID_SECONDS:g} s of "
                        f"signal (segment {first} has {n_valid[first] / store.fs:.2g} s)",
                        "drop or merge recordings shorter than 1 s before building the store")


def check_finite(store: SignalStore, raw: np.ndarray, n_valid: np.ndarray, offset: int) -> None:
    """NaN or inf inside a segment's valid samples means a damaged store (e.g. a lost chunk): refuse it."""
    valid = np.arange(raw.shape[-1])[None, :] < n_valid[:, None]
    bad = (~np.isfinite(raw) & valid[:, None, :]).any(axis=(1, 2))
    if bad.any():
        first = offset + int(np.flatnonzero(bad)[0])
        raise DataError(f"segment {first} of store {store.path} holds NaN or inf inside its valid samples "
                        "(a missing or damaged chunk, or a bad recording)",
                        f"run `harness data validate {store.path}` and rebuild the store")
