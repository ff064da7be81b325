"""Positive-pair policies: which segment is the second view of an anchor segment.

The store keeps each participant's segments contiguous (sorted by participant), so a participant is a
``(start, count)`` range and every lookup below is a vectorised array operation, no per-anchor loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from harness.errors import DataError, UsageError


@dataclass(frozen=True)
class ParticipantIndex:
    """Participant grouping of a store's segments.

    ``starts[p]``/``counts[p]``: first segment and number of segments of participant code ``p``;
    ``participant_of_segment[s]``: the code of segment ``s``; ``ids[p]``: the participant id of code ``p``.
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
        change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        starts = np.concatenate([[0], change]).astype(np.int64)
        counts = np.diff(np.append(starts, ids.size)).astype(np.int64)
        if np.unique(ids).size != starts.size:
            raise DataError("segments are not grouped by participant (a participant's segments are split)",
                            "rebuild the store sorted by participant")
        codes = np.repeat(np.arange(starts.size, dtype=np.int64), counts)
        return cls(starts, counts, codes, ids[starts])

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


class PairPolicy(Protocol):
    name: ClassVar[str]

    def partners(self, index: ParticipantIndex, anchors: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray: ...


class ParticipantPairs:
    """Second view = a uniformly random *different* segment of the anchor's participant (the anchor
    itself only when the participant has a single segment)."""

    name: ClassVar[str] = "participant"

    def partners(self, index: ParticipantIndex, anchors: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
        anchors = index.check_anchors(anchors)
        code = index.participant_of_segment[anchors]
        start, count = index.starts[code], index.counts[code]
        offset = anchors - start
        draw = rng.integers(0, np.maximum(count - 1, 1))  # one of the count-1 other segments
        other = draw + (draw >= offset)  # skip the anchor's own offset
        return np.where(count > 1, start + other, anchors).astype(np.int64)

    def __repr__(self) -> str:
        return "ParticipantPairs()"


class SegmentPairs:
    """Second view = the anchor segment itself (two augmentations of one segment; SimCLR-style)."""

    name: ClassVar[str] = "segment"

    def partners(self, index: ParticipantIndex, anchors: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
        return index.check_anchors(anchors).copy()

    def __repr__(self) -> str:
        return "SegmentPairs()"


POLICIES: dict[str, type] = {ParticipantPairs.name: ParticipantPairs, SegmentPairs.name: SegmentPairs}
