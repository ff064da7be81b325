"""Per-segment (window-level) labels: declared by the writer, checked by the reader, one rule each.

A store may carry labels that belong to a segment rather than a participant: the reference heart
rate of an 8 s window, the activity during it, the quality of a 10 s record. Each is an array
``<name>[segment]`` of float32 (NaN = missing) beside the signal. Categorical labels hold integer codes
``0..k-1`` and list their category names in the attributes. Group attributes::

    segment_labels             ["hr-window", "activity", ...]      (absent on stores without any)
    segment_label_kinds        {name: "numeric" | "binary" | "categorical"}
    segment_label_categories   {name: [category names, code order]} (categorical labels only)

A store without these attributes has no segment labels; its revision hash is unchanged, because the
writer hashes segment labels only when some are declared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from harness.errors import DataError

if TYPE_CHECKING:
    import zarr

KINDS = ("numeric", "binary", "categorical")
#: names a segment label cannot take: the segment arrays and the store's other members
RESERVED = ("signal", "n_samples", "participant_id", "t_start", "channel", "participant")


@dataclass(frozen=True)
class SegmentLabels:
    """The segment labels a writer was told to expect: name -> kind, and categories per categorical."""

    kinds: Mapping[str, str] = field(default_factory=dict)
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def declare(cls, kinds: Mapping[str, str], categories: Mapping[str, Sequence[str]]) -> SegmentLabels:
        for name, kind in kinds.items():
            if not isinstance(name, str) or not name or name in RESERVED or "/" in name:
                raise DataError(f"segment label name {name!r} is not allowed",
                                f"use a name other than {', '.join(RESERVED)}, without '/'")
            if kind not in KINDS:
                raise DataError(f"segment label '{name}' has kind {kind!r}", f"use one of {', '.join(KINDS)}")
            if kind == "categorical" and not categories.get(name):
                raise DataError(f"categorical segment label '{name}' lists no categories",
                                "pass segment_categories={name: [category names in code order]}")
        extra = set(categories) - {n for n, k in kinds.items() if k == "categorical"}
        if extra:
            raise DataError(f"categories given for {sorted(extra)}, which are not categorical segment labels",
                            "declare them with kind 'categorical'")
        return cls(dict(kinds), {n: tuple(str(c) for c in v) for n, v in categories.items()})

    def block(self, values: Mapping[str, npt.ArrayLike], n: int) -> dict[str, np.ndarray]:
        """One appended block's labels as float32 columns of length ``n`` (undeclared names refused)."""
        unknown = set(values) - set(self.kinds)
        if unknown:
            raise DataError(f"segment labels {sorted(unknown)} were not declared",
                            "declare them with StoreWriter(..., segment_labels={name: kind})")
        out: dict[str, np.ndarray] = {}
        for name, kind in self.kinds.items():
            if name not in values:
                out[name] = np.full(n, np.nan, dtype=np.float32)
                continue
            raw = np.asarray(values[name], dtype=object).reshape(-1)
            if len(raw) != n:
                raise DataError(f"segment label '{name}' has {len(raw)} values for {n} segments",
                                "give one value per segment")
            out[name] = self._encode(name, kind, raw)
        return out

    def _encode(self, name: str, kind: str, raw: np.ndarray) -> np.ndarray:
        cats = self.categories.get(name, ())
        if kind == "categorical" and any(isinstance(v, str) for v in raw):
            index = {c: i for i, c in enumerate(cats)}
            bad = sorted({str(v) for v in raw if isinstance(v, str) and v not in index})
            if bad:
                raise DataError(f"segment label '{name}' holds {bad[:3]}, not among its categories {list(cats)}",
                                "add them to the categories or map them to a declared one")
            raw = np.asarray([index[v] if isinstance(v, str) else v for v in raw], dtype=object)
        try:
            col = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise DataError(f"segment label '{name}' is not numeric ({exc})", "encode it as numbers") from exc
        finite = col[np.isfinite(col)]
        if np.isinf(col).any():
            raise DataError(f"segment label '{name}' holds inf", "write missing values as NaN")
        if kind == "binary" and not np.isin(finite, (0.0, 1.0)).all():
            raise DataError(f"binary segment label '{name}' holds values other than 0/1", "encode it as 0/1")
        if kind == "categorical" and finite.size and (
                (finite != np.round(finite)).any() or finite.min() < 0 or finite.max() >= len(cats)):
            raise DataError(f"categorical segment label '{name}' holds codes outside 0..{len(cats) - 1}",
                            "use the code of a declared category")
        return col.astype(np.float32)

    def attrs(self) -> dict[str, Any]:
        """The group attributes (none at all when no segment label was declared)."""
        if not self.kinds:
            return {}
        return {"segment_labels": list(self.kinds), "segment_label_kinds": dict(self.kinds),
                "segment_label_categories": {n: list(c) for n, c in self.categories.items()}}


def declared(attrs: Mapping[str, Any]) -> list[str]:
    """The segment label names a store's attributes list (empty for stores without any)."""
    names = attrs.get("segment_labels", [])
    return [str(n) for n in names] if isinstance(names, list) else []


def schema_problems(group: zarr.Group, attrs: Mapping[str, Any], n_segments: int) -> list[str]:
    """What is wrong with a store's segment labels (reads only the small label arrays)."""
    import zarr

    if "segment_labels" not in attrs:
        return []
    names = attrs["segment_labels"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return ["attribute 'segment_labels' must be a list of names"]
    kinds = attrs.get("segment_label_kinds")
    cats = attrs.get("segment_label_categories") or {}
    if not isinstance(kinds, dict) or not isinstance(cats, dict):
        return ["attributes 'segment_label_kinds' and 'segment_label_categories' must be mappings"]
    problems: list[str] = []
    participant_labels = set(attrs.get("labels", []))
    members = set(group.array_keys())
    for name in names:
        kind = kinds.get(name)
        if kind not in KINDS:
            problems.append(f"segment label '{name}' has kind {kind!r}, expected one of {', '.join(KINDS)}")
            continue
        if name in participant_labels or name in RESERVED:
            problems.append(f"segment label '{name}' reuses the name of another array")
            continue
        if name not in members:
            problems.append(f"segment label array '{name}' is missing")
            continue
        arr = group[name]
        assert isinstance(arr, zarr.Array)
        if arr.shape != (n_segments,):
            problems.append(f"segment label '{name}' has shape {arr.shape} for {n_segments} segments")
            continue
        values = np.asarray(arr[:], dtype=np.float64)
        finite = values[np.isfinite(values)]
        if np.isinf(values).any():
            problems.append(f"segment label '{name}' holds inf")
        elif kind == "binary" and not np.isin(finite, (0.0, 1.0)).all():
            problems.append(f"binary segment label '{name}' holds values other than 0/1")
        elif kind == "categorical":
            n_cats = len(cats.get(name) or [])
            if n_cats == 0:
                problems.append(f"categorical segment label '{name}' lists no categories")
            elif finite.size and ((finite != np.round(finite)).any() or finite.min() < 0 or finite.max() >= n_cats):
                problems.append(f"categorical segment label '{name}' holds codes outside 0..{n_cats - 1}")
    return problems
