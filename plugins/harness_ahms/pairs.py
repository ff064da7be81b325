"""Positive-pair policies: which segment is the second view of an anchor segment.

The store keeps each participant's segments contiguous (sorted by participant), so a participant is a
``(start, count)`` range and every lookup below is a vectorised array operation, no per-anchor loop.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from harness import PairPolicy, ParticipantIndex

__all__ = ["PairPolicy", "ParticipantIndex", "ParticipantPairs", "SegmentPairs"]


class ParticipantPairs:
    """Second view = a uniformly random *different* segment of the anchor's participant (the anchor
    itself only when the participant has a single segment)."""

    name: ClassVar[str] = "participant"
    same_window: ClassVar[bool] = False  # two segments (or, for one-segment participants, two windows)

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
    same_window: ClassVar[bool] = True  # the paper's ablation: the same input, augmented twice

    def partners(self, index: ParticipantIndex, anchors: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
        return index.check_anchors(anchors).copy()

    def __repr__(self) -> str:
        return "SegmentPairs()"
