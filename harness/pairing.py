"""The participant grouping that positive-pair policies read (the pair-policy plugin contract).

A store keeps each participant's segments contiguous, so a participant is a ``(start, count)`` range
of segment indices and every lookup a policy makes is a vectorised array operation. The pretraining
loader builds one :class:`ParticipantIndex` over all its stores; policies receive it in
``policy.partners(index, anchors, rng)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from harness.errors import DataError, UsageError


@dataclass(frozen=True)
class ParticipantIndex:
    """``starts[p]``/``counts[p]``: first segment and number of segments of participant code ``p``;
    ``participant_of_segment[s]``: the code of segment ``s``; ``ids[p]``: the id of code ``p``.
    """

    starts: np.ndarray
    counts: np.ndarray
    participant_of_segment: np.ndarray
    ids: np.ndarray

    @classmethod
    def from_ids(cls, participant_ids: np.ndarray) -> ParticipantIndex:
        """Build from one participant id per segment; the ids must come in contiguous runs."""
        ids = np.asarray(participant_ids)
        if ids.ndim != 1 or ids.size == 0:
            raise DataError(f"participant ids must be a non-empty 1-D array, got shape {ids.shape}",
                            "pass one participant id per segment")
        starts = _run_starts(ids)
        if np.unique(ids).size != starts.size:
            raise DataError("segments are not grouped by participant (a participant's segments are split)",
                            "rebuild the store sorted by participant")
        counts = np.diff(np.append(starts, ids.size)).astype(np.int64)
        codes = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
        return cls(starts, counts, codes, ids[starts])

    @classmethod
    def from_codes(cls, codes: np.ndarray, names: np.ndarray) -> ParticipantIndex:
        """Build from integer participant codes ``0..P-1`` in order of first appearance, plus their ids."""
        codes = np.asarray(codes, dtype=np.int64)
        starts = _run_starts(codes)
        if not np.array_equal(codes[starts], np.arange(len(starts))):
            raise DataError("segments are not grouped by participant", "rebuild the store sorted by participant")
        counts = np.diff(np.append(starts, codes.size)).astype(np.int64)
        return cls(starts, counts, codes, np.asarray(names))

    @property
    def n_segments(self) -> int:
        return int(self.participant_of_segment.size)

    @property
    def n_participants(self) -> int:
        return int(self.starts.size)

    def check_anchors(self, anchors: np.ndarray) -> np.ndarray:
        anchors = np.asarray(anchors, dtype=np.int64)
        if anchors.size and (anchors.min() < 0 or anchors.max() >= self.n_segments):
            raise UsageError(f"anchor segment indices must lie in [0, {self.n_segments})",
                             "pass indices of segments in this store")
        return anchors


def _run_starts(values: np.ndarray) -> np.ndarray:
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    return np.concatenate([[0], change]).astype(np.int64)


class PairPolicy(Protocol):
    """What a pair-policy plugin provides."""

    name: ClassVar[str]
    #: ``True`` when a pair is one input seen twice (the segment ablation): the loader then cuts both
    #: views from the same window under ``--crop-seconds``, so the views differ by augmentation only.
    #: Optional; policies without it get independent windows.
    same_window: ClassVar[bool]

    def partners(self, index: ParticipantIndex, anchors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One partner segment index per anchor, vectorised."""
        ...
