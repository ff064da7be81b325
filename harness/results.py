"""Result files: one schema-versioned JSON per (encoder, task, dataset), with full provenance.

Shaped after lm-evaluation-harness's result schema: config, seeds, versions and git hash travel with
every score so a number can always be traced and reproduced.

:class:`Result` is the typed form every reader uses (leaderboard, paired comparisons, suites, plots,
``harness run``'s summary line). Its JSON layout is schema version 1, unchanged: ``to_dict()`` of a
loaded file gives back exactly what the file holds, keys the harness does not know included.
:func:`load_result` validates what it reads and refuses, in one line naming the file, anything that
is not a result, lacks its main score, or holds a score (value or CI bound) outside its metric's range.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.atomic import write_json
from harness.errors import DataError
from harness.metrics import METRICS, get_metric

if TYPE_CHECKING:
    from harness.probe import ProbeOutcome
    from harness.tasks import TaskSpec

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("schema_version", "encoder", "task", "dataset", "scores", "config", "counts",
                 "environment", "timings", "training_overlap")


def _split(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The keys of ``data`` outside ``known`` (kept so that a round trip loses nothing)."""
    return {k: v for k, v in data.items() if k not in known}


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"'{what}' is a {type(data).__name__}, not an object")
    return data


@dataclass(frozen=True)
class Score:
    """A point estimate and its participant-bootstrap confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Score:
        return cls(float(data["value"]), float(data["ci_low"]), float(data["ci_high"]))

    def to_dict(self) -> dict[str, float]:
        return {"value": self.value, "ci_low": self.ci_low, "ci_high": self.ci_high}


@dataclass(frozen=True)
class EncoderInfo:
    name: str
    revision: str | None = None
    provider: str | None = None
    kind: str | None = None
    embedding_dim: int | None = None
    checkpoint: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    training_datasets: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = ("name", "revision", "provider", "kind", "embedding_dim", "checkpoint", "config",
             "training_datasets")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EncoderInfo:
        data = _mapping(data, "encoder")
        return cls(name=str(data["name"]), revision=data.get("revision"), provider=data.get("provider"),
                   kind=data.get("kind"), embedding_dim=data.get("embedding_dim"),
                   checkpoint=data.get("checkpoint"), config=data.get("config") or {},
                   training_datasets=tuple(data.get("training_datasets") or ()),
                   extra=_split(data, cls._KEYS))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "revision": self.revision, "provider": self.provider, "kind": self.kind,
                "embedding_dim": self.embedding_dim, "checkpoint": self.checkpoint, "config": dict(self.config),
                "training_datasets": list(self.training_datasets), **self.extra}


@dataclass(frozen=True)
class TaskInfo:
    """The task as recorded when it was scored (``higher_is_better`` as written in the file)."""

    name: str
    metric: str
    higher_is_better: bool
    version: int | None = None
    label: str | None = None
    kind: str | None = None
    description: str = ""
    threshold: float | None = None
    modalities: tuple[str, ...] = ()
    extra_metrics: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = ("name", "version", "label", "kind", "metric", "higher_is_better", "description", "threshold",
             "modalities", "extra_metrics")

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.metric, *self.extra_metrics)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskInfo:
        data = _mapping(data, "task")
        metric = str(data["metric"])
        higher = data.get("higher_is_better")
        return cls(name=str(data["name"]), metric=metric,
                   higher_is_better=get_metric(metric).higher_is_better if higher is None else bool(higher),
                   version=data.get("version"), label=data.get("label"), kind=data.get("kind"),
                   description=data.get("description", ""), threshold=data.get("threshold"),
                   modalities=tuple(data.get("modalities") or ()),
                   extra_metrics=tuple(data.get("extra_metrics") or ()), extra=_split(data, cls._KEYS))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "label": self.label, "kind": self.kind,
                "metric": self.metric, "higher_is_better": self.higher_is_better,
                "description": self.description, "threshold": self.threshold,
                "modalities": list(self.modalities), "extra_metrics": list(self.extra_metrics), **self.extra}


@dataclass(frozen=True)
class DatasetInfo:
    """Provenance of the scored store (``SignalStore.describe()``)."""

    name: str
    modality: str
    revision: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = ("name", "modality", "revision")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetInfo:
        data = _mapping(data, "dataset")
        return cls(name=str(data["name"]), modality=str(data["modality"]), revision=data.get("revision"),
                   extra=_split(data, cls._KEYS))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "modality": self.modality, "revision": self.revision, **self.extra}


@dataclass(frozen=True)
class Counts:
    participants: int
    segments: int | None = None
    positives: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KEYS = ("participants", "segments", "positives")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Counts:
        data = _mapping(data, "counts")
        return cls(participants=int(data["participants"]), segments=data.get("segments"),
                   positives=data.get("positives"), extra=_split(data, cls._KEYS))

    def to_dict(self) -> dict[str, Any]:
        return {"participants": self.participants, "segments": self.segments, "positives": self.positives,
                **self.extra}


@dataclass(frozen=True)
class Predictions:
    """Pooled out-of-fold predictions, one per participant (what paired comparisons and plots read)."""

    participant_id: tuple[str, ...]
    y_true: tuple[float, ...]
    y_pred: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Predictions:
        data = _mapping(data, "predictions")
        return cls(tuple(str(p) for p in data.get("participant_id") or ()),
                   tuple(float(v) for v in data.get("y_true") or ()),
                   tuple(float(v) for v in data.get("y_pred") or ()))

    def to_dict(self) -> dict[str, Any]:
        return {"participant_id": list(self.participant_id), "y_true": list(self.y_true),
                "y_pred": list(self.y_pred)}

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(participant ids, y_true, y_pred)`` as arrays."""
        return (np.asarray(self.participant_id), np.asarray(self.y_true, dtype=float),
                np.asarray(self.y_pred, dtype=float))


@dataclass(frozen=True)
class Result:
    """One scored (encoder, task, dataset): the typed form of a result file (schema version 1)."""

    encoder: EncoderInfo
    task: TaskInfo
    dataset: DatasetInfo
    scores: Mapping[str, Score]
    config: Mapping[str, Any]
    counts: Counts
    environment: Mapping[str, Any]
    timings: Mapping[str, Any]
    training_overlap: bool
    training_overlap_detail: str | None = None
    predictions: Predictions | None = None
    #: what the scores alone do not say (library warnings, degenerate tuning, constant predictions,
    #: uninformative input); written only when not empty, so older results load unchanged
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION
    #: top-level keys this harness does not know, kept for the round trip
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: where the result was read from or written to; not part of the JSON
    path: Path | None = field(default=None, compare=False)

    _KEYS = (*REQUIRED_KEYS, "training_overlap_detail", "predictions", "diagnostics")

    # the main score -------------------------------------------------------------------------------
    @property
    def metric(self) -> str:
        return self.task.metric

    @property
    def main_score(self) -> Score:
        return self.scores[self.task.metric]

    @property
    def has_predictions(self) -> bool:
        return self.predictions is not None and bool(self.predictions.y_true)

    # JSON -----------------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, path: Path | None = None) -> Result:
        """Parse a result payload; a ``DataError`` (one line, naming ``path``) when it is not one.

        Checks the structure and that the main score is present; :meth:`range_problems` checks values.
        An observer payload's ``"_path"`` (see ``harness.runner``) becomes :attr:`path`.
        """
        where = f"result {path}" if path is not None else "result"
        if not isinstance(data, Mapping):
            raise DataError(f"{path or 'payload'} is not a result file (it holds a JSON {type(data).__name__}, "
                            "not an object)", "point the command at a folder of `harness run` results")
        if "schema_version" not in data:
            raise DataError(f"{path or 'payload'} is not a result file (it has no schema_version)",
                            "point the command at a folder of `harness run` results")
        if data["schema_version"] != SCHEMA_VERSION:
            raise DataError(f"{where} has schema version {data['schema_version']!r}, expected {SCHEMA_VERSION}",
                            "re-run the command that wrote it")
        missing = [k for k in REQUIRED_KEYS if k not in data]
        if missing:
            raise DataError(f"{where} lacks {missing}", "re-run the command that wrote it")
        try:
            task = TaskInfo.from_dict(data["task"])
            scores_raw = _mapping(data["scores"], "scores")
            if task.metric not in scores_raw:
                raise DataError(f"{where} lacks its main score '{task.metric}'", "re-run the command that wrote it")
            scores = {name: Score.from_dict(_mapping(s, f"scores.{name}")) for name, s in scores_raw.items()}
            predictions = data.get("predictions")
            return cls(
                encoder=EncoderInfo.from_dict(data["encoder"]), task=task,
                dataset=DatasetInfo.from_dict(data["dataset"]), scores=scores,
                config=_mapping(data["config"], "config"), counts=Counts.from_dict(data["counts"]),
                environment=_mapping(data["environment"], "environment"),
                timings=_mapping(data["timings"], "timings"), training_overlap=bool(data["training_overlap"]),
                training_overlap_detail=data.get("training_overlap_detail"),
                predictions=None if predictions is None else Predictions.from_dict(predictions),
                diagnostics=_mapping(data.get("diagnostics", {}), "diagnostics"),
                schema_version=SCHEMA_VERSION, extra=_split(data, (*cls._KEYS, "_path")),
                path=path if path is not None or data.get("_path") is None else Path(data["_path"]))
        except DataError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            detail = f"lacks {exc}" if isinstance(exc, KeyError) else str(exc)
            raise DataError(f"{where} is malformed ({detail})", "re-run the command that wrote it") from exc

    def to_dict(self) -> dict[str, Any]:
        """The JSON payload (schema version 1, the layout result files have always had)."""
        out: dict[str, Any] = {
            "schema_version": self.schema_version, "encoder": self.encoder.to_dict(), "task": self.task.to_dict(),
            "dataset": self.dataset.to_dict(), "scores": {k: s.to_dict() for k, s in self.scores.items()},
            "config": dict(self.config), "counts": self.counts.to_dict(), "environment": dict(self.environment),
            "timings": dict(self.timings), "training_overlap": self.training_overlap,
            "training_overlap_detail": self.training_overlap_detail,
        }
        if self.predictions is not None:
            out["predictions"] = self.predictions.to_dict()
        if self.diagnostics:
            out["diagnostics"] = dict(self.diagnostics)
        return {**out, **self.extra}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, default=str) + "\n"

    @classmethod
    def from_json(cls, text: str, *, path: Path | None = None) -> Result:
        """Parse and validate (structure and score ranges) one result file's text."""
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"result {path or ''} is unreadable ({exc})".replace("  ", " "),
                            "re-run the command that wrote it") from exc
        result = cls.from_dict(payload, path=path)
        result.check_ranges()
        return result

    # validation -----------------------------------------------------------------------------------
    def range_problems(self) -> list[str]:
        """Scores that their metric cannot take (unknown metrics, NaN, values or CI bounds out of range)."""
        problems = []
        for name, score in self.scores.items():
            metric = METRICS.get(name)
            if metric is None:
                problems.append(f"scores unknown metric '{name}' (known: {', '.join(METRICS)})")
                continue
            for part in ("value", "ci_low", "ci_high"):
                value = getattr(score, part)
                if not metric.contains(value):
                    shown = "NaN" if math.isnan(value) else f"{value:g}"
                    problems.append(f"has {name} {part} {shown}, outside the metric's range {metric.shown_range()}")
        return problems

    def check_ranges(self) -> None:
        problems = self.range_problems()
        if problems:
            where = f"result {self.path}" if self.path is not None else "result"
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise DataError(f"{where} {problems[0]}{more}", "re-run the command that wrote it")

    def with_path(self, path: Path) -> Result:
        return replace(self, path=Path(path))


def build_result(*, encoder: EncoderInfo, task: TaskSpec, dataset: Mapping[str, Any], outcome: ProbeOutcome,
                 participant_ids: np.ndarray, config: Mapping[str, Any], segments: int,
                 environment: Mapping[str, Any], timings: Mapping[str, Any], training_overlap: bool,
                 training_overlap_detail: str, diagnostics: Mapping[str, Any] | None = None) -> Result:
    """Assemble the result of one probe: ``participant_ids`` are the probed participants, in the order
    of ``outcome``'s predictions; ``config`` the run settings recorded with it."""
    y_true = np.asarray(outcome.y_true, dtype=float)
    return Result(
        encoder=encoder,
        task=TaskInfo.from_dict({**task.to_dict(), "modalities": list(task.modalities),
                                 "extra_metrics": list(task.extra_metrics)}),
        dataset=DatasetInfo.from_dict(dataset),
        scores={name: Score.from_dict(score) for name, score in outcome.scores.items()},
        config=dict(config),
        counts=Counts(participants=len(y_true), segments=segments,
                      positives=int(y_true.sum()) if task.kind == "classification" else None),
        environment=dict(environment), timings=dict(timings),
        training_overlap=training_overlap, training_overlap_detail=training_overlap_detail,
        predictions=Predictions(tuple(str(i) for i in participant_ids), tuple(float(v) for v in y_true),
                                tuple(float(v) for v in outcome.y_pred)),
        diagnostics=dict(diagnostics or {}),
    )


def format_score(result: Result) -> str:
    """One line: the main score with its CI, the extra metrics, the number of participants."""
    main, s = result.task.metric, result.main_score
    line = (f"{result.encoder.name} · {result.task.name} · {result.dataset.name}: "
            f"{main.upper()} {s.value:.3f} [95% CI {s.ci_low:.3f}, {s.ci_high:.3f}]")
    for extra in result.task.extra_metrics:
        e = result.scores[extra]
        line += f"; {extra.upper()} {e.value:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}]"
    return line + f" (n={result.counts.participants} participants)"


def as_result(result: Result | Mapping[str, Any]) -> Result:
    """A :class:`Result` as is; a payload dict parsed (structure only, as for in-memory payloads)."""
    return result if isinstance(result, Result) else Result.from_dict(result)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def result_path(output: Path, result: Result) -> Path:
    return (Path(output) / _safe(result.dataset.name) / _safe(result.encoder.name)
            / f"{_safe(result.task.name)}.json")


def write_result(output: Path, result: Result) -> Result:
    """Write atomically; a concurrent writer of the same file leaves one whole version, never a mix.

    Returns the result with its ``path`` set.
    """
    result.check_ranges()
    return result.with_path(write_json(result_path(output, result), result.to_dict()))


def load_result(path: Path) -> Result:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"result {path} is unreadable ({exc})", "re-run the command that wrote it") from exc
    return Result.from_json(text, path=Path(path))


def load_results(folder: Path) -> list[Result]:
    return [load_result(p) for p in sorted(Path(folder).rglob("*.json"))]
