"""Channel choice: ``--channels`` by name (any case, common aliases), else the channels every record has.

Aliases are groups of names that mean one signal across databases; a requested name matches a record's
channel with the same name first, then any channel of the same alias group.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from harness.errors import DataError, UsageError
from harness.importing.labels import names
from harness.importing.records import RecordInfo

ALIASES: tuple[frozenset[str], ...] = (
    frozenset({"mlii", "ii", "lead ii", "ecg ii", "ecg lead ii"}),
    frozenset({"ecg1", "ecg 1", "ecg", "ecg i"}),
    frozenset({"pleth", "ppg", "bvp", "pulse", "ppg green"}),
)


def normalise(name: str) -> str:
    """``'Lead_II '`` -> ``'lead ii'``: case, blanks, ``_`` and ``-`` do not distinguish channels."""
    return re.sub(r"[\s_\-]+", " ", str(name).strip().lower())


def _group(name: str) -> frozenset[str]:
    key = normalise(name)
    for group in ALIASES:
        if key in group:
            return group
    return frozenset({key})


def find(requested: str, available: Sequence[str]) -> int | None:
    """Index of the channel ``requested`` names in ``available``: same name first, then an alias."""
    keys = [normalise(a) for a in available]
    key = normalise(requested)
    if key in keys:
        return keys.index(key)
    group = _group(requested)
    hits = [i for i, k in enumerate(keys) if k in group]
    return hits[0] if hits else None


#: the public name (``harness.find_channel``) dataset builders use
find_channel = find


def parse_request(text: str | None) -> list[str] | None:
    if text is None:
        return None
    wanted = [c.strip() for c in text.split(",") if c.strip()]
    if not wanted:
        raise UsageError(f"--channels {text!r} names no channel", "give names such as --channels MLII or PPG")
    dupes = sorted({normalise(c) for c in wanted if [normalise(w) for w in wanted].count(normalise(c)) > 1})
    if dupes:
        raise UsageError(f"--channels names {', '.join(dupes)} more than once", "name each channel once")
    return wanted


def choose(records: list[RecordInfo], requested: list[str] | None
           ) -> tuple[list[str], dict[str, list[int]], list[str], str | None]:
    """(store channel names, record id -> channel indices, ids skipped for lacking channels, note line)."""
    if requested:
        picks: dict[str, list[int]] = {}
        lacking: list[str] = []
        for rec in records:
            idx = [find(c, rec.channels) for c in requested]
            if any(i is None for i in idx):
                lacking.append(rec.id)
            else:
                picks[rec.id] = [int(i) for i in idx if i is not None]
        if not picks:
            have = Counter(" + ".join(r.channels) for r in records)
            raise DataError(f"no record has channels {', '.join(requested)} (records have: "
                            f"{names([f'{k} ({v})' for k, v in have.most_common()], 4)})",
                            "name channels the records have in --channels (aliases: MLII/II, ECG1, PLETH/PPG/BVP)")
        return list(requested), picks, lacking, None
    first = records[0].channels
    # Without a request, channels match by name only (aliases are for what the user asks for).
    common = [c for c in first if all(normalise(c) in map(normalise, r.channels) for r in records)]
    if not common:
        layouts = Counter(" + ".join(r.channels) for r in records)
        raise DataError("no channel is common to every record (" +
                        names([f"{k}: {v} records" for k, v in layouts.most_common()], 4) + ")",
                        f"pass --channels NAME to import the records that have it, e.g. --channels "
                        f"{layouts.most_common(1)[0][0].split(' + ')[0]}")
    picks = {r.id: [[normalise(x) for x in r.channels].index(normalise(c)) for c in common] for r in records}
    note = None
    if any(len(r.channels) != len(common) for r in records):
        dropped = sorted({c for r in records for c in r.channels if normalise(c) not in map(normalise, common)})
        note = (f"records differ in channels: using {', '.join(common)}, the ones all {len(records)} have "
                f"(left out: {names(dropped)}); pass --channels to choose")
    return common, picks, [], note
