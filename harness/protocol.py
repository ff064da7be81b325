"""The evaluation protocol a result was scored under, read from its ``config``.

Two scores are comparable only when they come from the same protocol: the same outer folds and split
seed, the same inner tuning, the same bootstrap and confidence level, the same inference precision.
The leaderboard puts one protocol in a table and says which; paired comparisons refuse two results
of different protocols. Every recorded probe setting counts, including ones this version does not
know, so a setting added later can never make two protocols look alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.json_fields import FieldError, Fields

#: probe settings with a meaning here; any other key of ``config.probe`` is compared as recorded
KNOWN = ("folds", "inner_folds", "bootstrap", "seed", "confidence", "ridge_alphas", "logistic_Cs")


@dataclass(frozen=True)
class Protocol:
    """Probe settings of one result; ``None`` where the result does not record them."""

    folds: int | None = None
    inner_folds: int | None = None
    bootstrap: int | None = None
    seed: int | None = None
    confidence: float | None = None
    dtype: str | None = None
    ridge_alphas: tuple[float, ...] = ()
    logistic_Cs: tuple[float, ...] = ()
    #: other recorded probe settings, as JSON text (compared, not interpreted)
    other: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Protocol:
        """Read ``config.probe`` and ``config.dtype``; a :class:`FieldError` names a malformed setting."""
        top = Fields(config, "config")
        probe = top.obj("probe", required=False)
        # the precision the run asked for is the protocol (a suite's ``bfloat16`` holds for its numpy-only
        # encoders too, which run float32); the one used is provenance (``config.dtype`` beside it)
        dtype = top.text("dtype_requested", required=False) or top.text("dtype", required=False)
        if probe is None:
            return cls(dtype=dtype)
        confidence = probe.number("confidence", required=False)
        if confidence is not None and not 0 < confidence < 1:
            raise FieldError("config.probe.confidence", f"is {confidence:g}, expected a level between 0 and 1")
        try:
            other = tuple(sorted((str(k), json.dumps(v, sort_keys=True)) for k, v in probe.data.items()
                                 if k not in KNOWN))
        except (TypeError, ValueError) as exc:
            raise FieldError("config.probe", f"holds a value that is not JSON ({exc})") from None
        return cls(folds=probe.integer("folds", minimum=2, required=False),
                   inner_folds=probe.integer("inner_folds", minimum=2, required=False),
                   bootstrap=probe.integer("bootstrap", minimum=1, required=False),
                   seed=probe.integer("seed", minimum=0, required=False), confidence=confidence, dtype=dtype,
                   ridge_alphas=probe.numbers("ridge_alphas"), logistic_Cs=probe.numbers("logistic_Cs"),
                   other=other)

    def to_dict(self) -> dict[str, Any]:
        return {"folds": self.folds, "inner_folds": self.inner_folds, "bootstrap": self.bootstrap,
                "seed": self.seed, "confidence": self.confidence, "dtype": self.dtype,
                "ridge_alphas": list(self.ridge_alphas), "logistic_Cs": list(self.logistic_Cs),
                **{k: json.loads(v) for k, v in self.other}}

    @property
    def recorded(self) -> bool:
        return self != Protocol()

    def describe(self) -> str:
        """One sentence a reader of a table can check the protocol against."""
        if not self.recorded:
            return "protocol not recorded in these result files (written by an older harness?)"

        def shown(value: Any) -> str:
            return "?" if value is None else str(value)

        parts = [f"participant-disjoint {shown(self.folds)}-fold linear probe (split seed {shown(self.seed)}; "
                 f"regularisation chosen inside each training fold: {shown(self.inner_folds)} inner folds for "
                 "classification, leave-one-out for regression)"]
        level = "?" if self.confidence is None else f"{self.confidence * 100:g}"
        resamples = "?" if self.bootstrap is None else f"{self.bootstrap:,}"
        parts.append(f"{level} % CI from {resamples} participant-bootstrap resamples")
        if self.dtype:
            parts.append(f"{self.dtype} inference")
        if self.other:
            parts.append("other settings " + ", ".join(f"{k}={v}" for k, v in self.other))
        return "; ".join(parts)

    def differences(self, other: Protocol) -> list[str]:
        """The settings that differ, as ``name A vs B`` (empty when the protocols are the same)."""
        mine, theirs = self.to_dict(), other.to_dict()
        out = []
        for key in sorted(set(mine) | set(theirs)):
            a, b = mine.get(key), theirs.get(key)
            if a != b:
                out.append(f"{key} {_shown(a)} vs {_shown(b)}")
        return out


def _shown(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, list):
        return f"[{len(value)} values]" if len(value) > 3 else json.dumps(value)
    return str(value)
