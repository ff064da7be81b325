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

import warnings

FORMAT_NAME = "biosignal-harness-store"
FORMAT_VERSION = 1

SEGMENT_ARRAYS = ("signal", "n_samples", "participant_id", "t_start")
REQUIRED_ATTRS = ("format", "format_version", "dataset", "modality", "fs", "units", "channel_names",
                  "source", "license", "revision", "labels")
MODALITIES = ("ppg", "ecg")


def quiet_zarr_warnings() -> None:
    """Fixed-length strings have no finished zarr v3 spec yet; the warning says nothing actionable."""
    warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
    warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
