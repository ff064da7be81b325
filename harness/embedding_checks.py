"""Embeddings that carry no information for a whole store are refused, not scored.

An encoder that returns the same embedding for every segment (all zeros after a float16 underflow, a
dead network, a bug) makes every probe predict the prior, and the run would report the prior's scores as
the encoder's. The test is per column over the whole store: if no column takes two values, the
embedding is constant. It is computed streaming, block by block as embeddings are produced (or over the
cached array on a cache hit), and stops looking as soon as one value differs, so it costs one comparison
per block in the common case.

Constant embeddings are honest in two cases, which are not refused: the encoder declares
``constant_embedding = True`` (the ``prior`` baseline, see :class:`harness.encoders.Encoder`), or every
segment reached the encoder as the same input (an all-zero or all-flat store): then a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import HarnessError, PluginError, UsageError


@dataclass
class Variation:
    """Streaming answer to "does any row differ from the first one?" over blocks of rows."""

    reference: np.ndarray | None = None
    varies: bool = False
    rows: int = 0

    def update(self, block: np.ndarray) -> None:
        rows = np.asarray(block).reshape(len(block), -1)
        self.rows += len(rows)
        if self.varies or not len(rows):
            return
        if self.reference is None:
            self.reference = rows[0].copy()
        self.varies = bool((rows != self.reference).any())

    def update_chunked(self, array: Any, chunk: int = 4096) -> None:
        """:meth:`update` over a whole row-sliceable array (NumPy or zarr), a chunk at a time."""
        rows = array.shape[0]
        for lo in range(0, rows, chunk):
            if self.varies:
                self.rows += rows - lo
                return
            self.update(np.asarray(array[lo:lo + chunk]))

    @property
    def all_zero(self) -> bool:
        return not self.varies and self.reference is not None and not self.reference.any()


def all_finite(array: Any, chunk: int = 16_384) -> bool:
    """No NaN or inf in a row-sliceable array (NumPy or an on-disk zarr), read ``chunk`` rows at a time."""
    return all(np.isfinite(np.asarray(array[lo:lo + chunk])).all() for lo in range(0, array.shape[0], chunk))


def finite_problem(encoder: str, embeddings: Any) -> PluginError | None:
    """NaN or inf embeddings are an encoder fault (exit 1). Reads any row-sliceable array chunk-wise."""
    if all_finite(embeddings):
        return None
    return PluginError(f"encoder '{encoder}' returned NaN or inf embeddings", "check the input data or the encoder")


def constant_problem(*, encoder: str, dataset: str, n_segments: int, embeddings: Variation, inputs_vary: bool,
                     dtype: str) -> HarnessError | None:
    """The error for constant embeddings of inputs that differ, or ``None`` when they are not constant.

    At a reduced ``--dtype`` the user's option is the cause that can be named and undone (exit 2); at
    float32 the encoder collapsed inputs that differ, an encoder fault (exit 1).
    """
    if embeddings.varies or n_segments < 2 or not inputs_vary:
        return None
    what = "all-zero" if embeddings.all_zero else "constant"
    problem = (f"encoder '{encoder}' returned {what} embeddings (the same for all {n_segments} segments of "
               f"dataset '{dataset}', although their inputs differ), so every score would be the prior's")
    if dtype != "float32":
        return UsageError(f"{problem}: --dtype {dtype} underflows or saturates this encoder",
                          "re-run with --dtype float32 (the default)")
    return PluginError(problem, "fix the encoder (an encoder that is constant by design declares "
                                "constant_embedding = True)")


def identical_inputs_note(encoder: str, dataset: str) -> str:
    """The warning for constant embeddings of identical inputs (honest, but uninformative)."""
    return (f"every segment of dataset '{dataset}' reaches encoder '{encoder}' as the same input, so its "
            "embeddings are constant and its scores are the prior's")
