"""The store's layout, in one place, so writer, reader and validator agree.

Group attributes: ``format`` ("biosignal-harness-store"), ``format_version``, ``dataset``,
``modality``, ``fs`` (Hz), ``units``, ``channel_names``, ``source``, ``license``, ``citation``,
``revision`` (content hash), ``labels`` (names of participant-table columns), ``label_kinds``
(``numeric``/``binary``/``categorical``), ``created_with``, ``build`` (builder parameters).

Arrays (dimension names in brackets)::

    signal[segment, channel, time]   float32, NaN beyond n_samples
    n_samples[segment]               int32, valid samples per segment
    participant_id[segment]          str, coordinate
    t_start[segment]                 float64 seconds from the participant's first recording, coordinate
    channel[channel]                 str, coordinate
    participant[participant]         str, coordinate of the participant table
    <label>[participant]             float32 (NaN = missing); sex is 1 = female, 0 = male

Segments are stored grouped by participant (all of a participant's segments are contiguous).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.errors import DataError
from harness.location import quiet_zarr_warnings as quiet_zarr_warnings  # its old home; callers may import it here
from harness.modality import MODALITY_PATTERN, modality_problem

if TYPE_CHECKING:
    import zarr

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MODALITY_PATTERN", "REQUIRED_ATTRS", "SEGMENT_ARRAYS", "array",
           "modality_problem", "quiet_zarr_warnings"]

FORMAT_NAME = "biosignal-harness-store"
FORMAT_VERSION = 1

SEGMENT_ARRAYS = ("signal", "n_samples", "participant_id", "t_start")
REQUIRED_ATTRS = ("format", "format_version", "dataset", "modality", "fs", "units", "channel_names",
                  "source", "license", "revision", "labels")


def array(group: zarr.Group, name: str) -> zarr.Array:
    """``group[name]`` as an array: zarr types a member as array-or-group, a store holds only arrays."""
    import zarr

    member = group[name]
    if not isinstance(member, zarr.Array):
        raise DataError(f"'{name}' in the store is a group, not an array", "rebuild the store")
    return member
