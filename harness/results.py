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
from harness.json_fields import FieldError, Fields, is_integer, shown
from harness.metrics import METRICS
from harness.protocol import Protocol

if TYPE_CHECKING:
    from harness.probe import ProbeOutcome
    from harness.tasks import TaskSpec

SCHEMA_VERSION = 1
REQUIRED_KEYS = ("schema_version", "encoder", "task", "dataset", "scores", "config", "counts",
                 "environment", "timings", "training_overlap")
#: the top-level key and value that mark a JSON file ``harness leaderboard`` generated (not a result)
GENERATED_MARK = ("generated_by", "harness leaderboard")


def _split(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    """The keys of ``data`` outside ``known`` (kept so that a round trip loses nothing)."""
    return {k: v for k, v in data.items() if k not in known}


def is_generated(payload: Any) -> bool:
    """Is this parsed JSON a file ``harness leaderboard`` wrote (its marker), not a result?"""
    return isinstance(payload, Mapping) and payload.get(GENERATED_MARK[0]) == GENERATED_MARK[1]


class _MissingMain(Exception):
    """The task's main metric has no score (reported with its own message)."""


@dataclass(frozen=True)
class Score:
    """A point estimate and its participant-bootstrap confidence interval."""

    value: float
    ci_low: float
    ci_high: float

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "score") -> Score:
        """Numbers only; NaN and out-of-range values are left to :meth:`Result.range_problems`."""
        f = Fields(data, where)
        value, low, high = (f.number(k, finite=False) for k in ("value", "ci_low", "ci_high"))
        assert value is not None and low is not None and high is not None  # required fields
        return cls(value, low, high)

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
        f = Fields(data, "encoder")
        return cls(name=str(f.text("name")), revision=f.optional_text("revision"),
                   provider=f.optional_text("provider"), kind=f.optional_text("kind"),
                   embedding_dim=f.integer("embedding_dim", minimum=1, required=False),
                   checkpoint=f.optional_text("checkpoint"), config=f.mapping("config", required=False),
                   training_datasets=f.texts("training_datasets"), extra=_split(f.data, cls._KEYS))

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
        """The task; its direction must agree with the metrics table (a file cannot turn "lower is
        better" around and make the worst encoder the bold one)."""
        f = Fields(data, "task")
        metric = str(f.text("metric"))
        higher = f.flag("higher_is_better", required=False)
        known = METRICS.get(metric)
        if higher is None:
            if known is None:
                raise FieldError("task.metric", f"is unknown metric {metric!r} (known: {', '.join(METRICS)})")
            higher = known.higher_is_better
        elif known is not None and higher != known.higher_is_better:
            raise FieldError("task.higher_is_better", f"is {str(higher).lower()}, but {metric} is "
                             f"{'higher' if known.higher_is_better else 'lower'}-is-better")
        return cls(name=str(f.text("name")), metric=metric, higher_is_better=higher,
                   version=f.integer("version", required=False), label=f.optional_text("label"),
                   kind=f.optional_text("kind"), description=f.any_text("description"),
                   threshold=f.number("threshold", required=False), modalities=f.texts("modalities"),
                   extra_metrics=f.texts("extra_metrics"), extra=_split(f.data, cls._KEYS))

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
        f = Fields(data, "dataset")
        return cls(name=str(f.text("name")), modality=str(f.text("modality")),
                   revision=f.optional_text("revision"), extra=_split(f.data, cls._KEYS))

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
        f = Fields(data, "counts")
        participants = f.integer("participants", minimum=1)
        assert participants is not None  # required
        positives = f.integer("positives", minimum=0, required=False)
        if positives is not None and positives > participants:
            raise FieldError("counts.positives", f"is {positives}, more than the {participants} participants")
        return cls(participants=participants, segments=f.integer("segments", minimum=0, required=False),
                   positives=positives, extra=_split(f.data, cls._KEYS))

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
        """One finite prediction and true value per participant, each participant once."""
        f = Fields(data, "predictions")
        raw_ids = f.data.get("participant_id") or ()
        ids = tuple(str(p) for p in raw_ids) if isinstance(raw_ids, list | tuple) and all(
            is_integer(p) for p in raw_ids) else f.texts("participant_id")
        y_true, y_pred = f.numbers("y_true"), f.numbers("y_pred")
        if not len(ids) == len(y_true) == len(y_pred):
            raise FieldError("predictions", f"holds {len(ids)} participant ids, {len(y_true)} true values and "
                             f"{len(y_pred)} predictions, expected one of each per participant")
        if len(set(ids)) != len(ids):
            raise FieldError("predictions.participant_id", "lists a participant more than once")
        return cls(ids, y_true, y_pred)

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
    def protocol(self) -> Protocol:
        """The probe protocol it was scored under (checked when the result was parsed)."""
        return Protocol.from_config(self.config)

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
        if is_generated(data):
            raise DataError(f"{path or 'payload'} is not a result file (`harness leaderboard` generated it)",
                            "point the command at the folder `harness run --output` wrote")
        if "schema_version" not in data:
            raise DataError(f"{path or 'payload'} is not a result file (it has no schema_version)",
                            "point the command at a folder of `harness run` results")
        version = data["schema_version"]
        if not is_integer(version) or version != SCHEMA_VERSION:
            raise DataError(f"{where} has schema version {shown(version)}, expected {SCHEMA_VERSION}",
                            "re-run the command that wrote it")
        missing = [k for k in REQUIRED_KEYS if k not in data]
        if missing:
            raise DataError(f"{where} lacks {missing}", "re-run the command that wrote it")
        try:
            return cls._parse(Fields(data), path)
        except FieldError as exc:
            raise DataError(f"{where} is malformed ({exc})", "re-run the command that wrote it") from exc
        except _MissingMain as exc:
            raise DataError(f"{where} lacks its main score '{exc}'", "re-run the command that wrote it") from None

    @classmethod
    def _parse(cls, f: Fields, path: Path | None) -> Result:
        """Every field at its type; whatever a reader relies on is checked here, once."""
        task = TaskInfo.from_dict(f.data["task"])
        scores_raw = f.mapping("scores")
        if task.metric not in scores_raw:
            raise _MissingMain(task.metric)
        for extra in task.extra_metrics:
            if extra not in scores_raw:
                raise FieldError(f"scores.{extra}", "is missing (task.extra_metrics lists it)")
        scores = {str(name): Score.from_dict(s, f"scores.{name}") for name, s in scores_raw.items()}
        counts = Counts.from_dict(f.data["counts"])
        config = f.mapping("config")
        Protocol.from_config(config)  # refuses a malformed protocol now, not when a table is drawn
        raw_predictions = f.data.get("predictions")
        predictions = None if raw_predictions is None else Predictions.from_dict(raw_predictions)
        if predictions is not None and task.kind == "classification" and not set(predictions.y_true) <= {0.0, 1.0}:
            raise FieldError("predictions.y_true", "holds values other than 0 and 1 for a classification task")
        overlap = f.flag("training_overlap")
        raw_path = f.data.get("_path")
        return cls(
            encoder=EncoderInfo.from_dict(f.data["encoder"]), task=task,
            dataset=DatasetInfo.from_dict(f.data["dataset"]), scores=scores, config=config, counts=counts,
            environment=f.mapping("environment"), timings=f.mapping("timings"), training_overlap=bool(overlap),
            training_overlap_detail=(None if f.data.get("training_overlap_detail") is None
                                     else f.any_text("training_overlap_detail")),
            predictions=predictions,
            diagnostics=f.mapping("diagnostics") if "diagnostics" in f.data else {},
            schema_version=SCHEMA_VERSION, extra=_split(f.data, (*cls._KEYS, "_path")),
            path=path if path is not None or not isinstance(raw_path, str) else Path(raw_path))

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
        result = cls.from_dict(parse_json(text, path), path=path)
        result.check_ranges()
        return result

    # validation -----------------------------------------------------------------------------------
    def range_problems(self) -> list[str]:
        """Scores that their metric cannot take (unknown metrics, NaN or inf, values or CI bounds out of
        range)."""
        problems = []
        for name, score in self.scores.items():
            metric = METRICS.get(name)
            if metric is None:
                problems.append(f"scores unknown metric '{name}' (known: {', '.join(METRICS)})")
                continue
            for part in ("value", "ci_low", "ci_high"):
                value = getattr(score, part)
                if math.isinf(value):
                    problems.append(f"has {name} {part} {value:g}, not a finite number")
                elif not metric.contains(value):
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
                                 "extra_metrics": list(task.extra_metrics),
                                 **({"analyses": list(task.analyses)} if task.analyses else {})}),
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
    if result.counts.extra.get("unit") == "segment":  # a window-level task: say how many windows too
        return line + f" (n={result.counts.participants} participants, {result.counts.segments} segments)"
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


def parse_json(text: str, path: Path | None = None) -> Any:
    """The JSON value of a result file's text; a one-line ``DataError`` when it is not JSON."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, over-long integers, deep nesting
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).splitlines()[0]
        raise DataError(f"result {path or ''} is unreadable ({detail})".replace("  ", " "),
                        "re-run the command that wrote it") from exc


def _read_payload(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"result {path} is unreadable ({exc})", "re-run the command that wrote it") from exc
    return parse_json(text, Path(path))


def _checked(payload: Any, path: Path) -> Result:
    result = Result.from_dict(payload, path=Path(path))
    result.check_ranges()
    return result


def load_result(path: Path) -> Result:
    """Read and validate one result file (structure, types, score ranges)."""
    return _checked(_read_payload(path), path)


def load_results(folder: Path) -> list[Result]:
    """Every result JSON under ``folder``; files ``harness leaderboard`` wrote there (its marker) are not
    results and are passed over, any other JSON that is not a valid result is refused."""
    results = []
    for path in sorted(Path(folder).rglob("*.json")):
        payload = _read_payload(path)
        if not is_generated(payload):
            results.append(_checked(payload, path))
    return results
