"""The Python API: what a notebook or another library calls instead of the ``harness`` CLI.

``evaluate`` runs the probe suite and returns typed results, ``load_encoder`` gives an encoder whose
``embed`` takes plain NumPy arrays at any rate and length (the input adapter applied, as in a run),
``EncoderTransformer`` wraps it for scikit-learn pipelines, and ``results_frame`` turns a results
folder into one tidy DataFrame. Each is a thin layer over the machinery the CLI uses, so a number
from the API and one from ``harness run`` are the same number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from harness.encoders import Encoder
    from harness.results import Result

ArrayLike = np.ndarray | Sequence[Any]


def evaluate(encoders: str | Sequence[str], tasks: str | Sequence[str], dataset: str | None = None, *,
             output: str | Path | None = None, seed: int = 0, folds: int = 5, bootstrap: int = 1000,
             device: str = "auto", dtype: str = "float32", inference: str = "auto", checkpoint: str | None = None,
             batch_size: int = 64, use_cache: bool = True, progress: bool = False,
             label_fractions: Sequence[float] = (), label_repeats: int = 3, label_jobs: int = 1,
             probe_jobs: int = 1) -> list[Result]:
    """Score each encoder on each task (``harness run`` without the subprocess); returns the results.

    ``label_fractions`` (e.g. ``(0.1, 0.5, 1)``) adds each result's label-efficiency curve, as
    ``--label-fractions`` does. ``probe_jobs`` fits the probes in that many processes (``--probe-jobs``).

    ``dataset`` is a registered name or a store path (default: the encoder's modality default, as in
    ``harness run``). Results are written under ``output`` (default: the setting ``HARNESS_RESULTS``,
    else ``./results``) exactly as the CLI writes them, so ``results_frame(output)`` reads them back.
    """
    from harness.runner import RunConfig, Runner
    from harness.settings import results_dir

    config = RunConfig(encoders=_names(encoders, "encoders"), tasks=_names(tasks, "tasks"), dataset=dataset,
                       seed=seed, device=device, output=Path(output) if output is not None else results_dir(),
                       checkpoint=checkpoint, batch_size=batch_size, folds=folds, bootstrap=bootstrap,
                       use_cache=use_cache, progress=progress, dtype=dtype, inference=inference,
                       label_fractions=tuple(label_fractions), label_repeats=label_repeats, label_jobs=label_jobs,
                       probe_jobs=probe_jobs)
    return Runner(config).run()


def _names(value: str | Sequence[str], what: str) -> list[str]:
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise UsageError(f"{what} must be a name or a non-empty list of names, got {value!r}",
                         f"pass e.g. {what}=['handcrafted']")
    return names


@dataclass
class LoadedEncoder:
    """An encoder ready to embed NumPy signals: ``embed(signals, fs=...)``.

    The encoder's declared input (rate, channels, window, normalisation) is produced by the same
    adapter ``harness run`` uses; longer recordings become windows whose embeddings are averaged.
    """

    name: str
    encoder: Encoder
    modality: str | None
    device: str = "cpu"
    dtype: str = "float32"
    batch_size: int = 64
    adaptations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def embedding_dim(self) -> int:
        return int(self.encoder.embedding_dim)

    @property
    def revision(self) -> str:
        return str(self.encoder.revision)

    def embed(self, signals: ArrayLike, fs: float, *, channel_names: Sequence[str] | None = None,
              participant_ids: Sequence[str] | None = None,
              labels: Mapping[str, Sequence[Any]] | None = None) -> np.ndarray:
        """Float32 ``(n, embedding_dim)`` embeddings of ``n`` recordings.

        ``signals``: an array ``(n, samples)`` (one channel) or ``(n, channels, samples)``, or a list of
        recordings ``(samples,)`` / ``(channels, samples)`` of different lengths. ``fs`` is their rate in
        Hz. ``labels`` (per recording) reach encoders that declare ``input_labels`` (the demographics
        baseline); ``participant_ids`` default to the row numbers.
        """
        from harness.adapter import adapt, mean_by_row
        from harness.encoders import Batch
        from harness.runner import embed_batch

        rate = _check_rate(fs)
        recordings = _as_recordings(signals)
        n = len(recordings)
        ids = np.asarray([str(i) for i in range(n)] if participant_ids is None else list(participant_ids),
                         dtype=object)
        if len(ids) != n:
            raise UsageError(f"participant_ids has {len(ids)} entries for {n} recordings",
                             "give one id per recording")
        label_rows = {k: np.asarray(list(v)) for k, v in (labels or {}).items()}
        for key, values in label_rows.items():
            if len(values) != n:
                raise UsageError(f"labels['{key}'] has {len(values)} entries for {n} recordings",
                                 "give one value per recording")
        names = list(channel_names) if channel_names is not None else None
        if names is not None and n and len(names) != recordings[0].shape[0]:
            raise UsageError(f"channel_names has {len(names)} names for {recordings[0].shape[0]} channels",
                             "give one name per channel")
        out = np.zeros((n, self.embedding_dim), dtype=np.float32)
        spec = self.encoder.input_spec
        for lo in range(0, n, self.batch_size):
            hi = min(lo + self.batch_size, n)
            block, n_valid = _pad(recordings[lo:hi])
            adapted = adapt(block, n_valid, rate, spec, channel_names=names)
            self.adaptations.append(adapted.policy)
            batch = Batch(adapted.signal, spec.fs if spec else rate, ids[lo:hi][adapted.row_of], adapted.n_valid,
                          {k: v[lo:hi][adapted.row_of] for k, v in label_rows.items()})
            emb = embed_batch(self.encoder, batch, self.device, self.dtype, lo, hi)
            out[lo:hi] = mean_by_row(emb, adapted.row_of, hi - lo)
        return out


def _check_rate(fs: Any) -> float:
    try:
        rate = float(fs)
    except (TypeError, ValueError):
        rate = math.nan
    if not math.isfinite(rate) or rate <= 0:
        raise UsageError(f"fs={fs!r} is not a sampling rate", "pass the recordings' rate in Hz, e.g. fs=64")
    return rate


def _as_recordings(signals: ArrayLike) -> list[np.ndarray]:
    """The input as a list of float32 ``(channels, samples)`` recordings with one channel count."""
    if isinstance(signals, np.ndarray) and signals.dtype != object:
        if signals.ndim == 2:
            signals = signals[:, None, :]
        if signals.ndim != 3:
            raise UsageError(f"signals of shape {signals.shape} are not (n, samples) or (n, channels, samples)",
                             "reshape them, or pass a list of recordings")
        items = list(signals)
    else:
        items = [np.asarray(s) for s in signals]
    recordings = []
    for i, item in enumerate(items):
        x = np.asarray(item, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] == 0:
            raise UsageError(f"recording {i} has shape {np.shape(item)}, not (samples,) or (channels, samples)",
                             "pass 1-d or 2-d recordings with at least one sample")
        if not np.isfinite(x).all():
            raise DataError(f"recording {i} holds NaN or inf", "remove or interpolate the missing samples first")
        recordings.append(x)
    channels = {r.shape[0] for r in recordings}
    if len(channels) > 1:
        raise UsageError(f"recordings have different channel counts {sorted(channels)}",
                         "embed recordings with the same channels together")
    return recordings


def _pad(recordings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack recordings of different lengths as the store does: NaN after each one's ``n_valid``."""
    lengths = np.array([r.shape[1] for r in recordings], dtype=np.int64)
    block = np.full((len(recordings), recordings[0].shape[0], int(lengths.max())), np.nan, dtype=np.float32)
    for row, rec in enumerate(recordings):
        block[row, :, :rec.shape[1]] = rec
    return block, lengths


def load_encoder(name: str, *, modality: str | None = None, checkpoint: str | Path | None = None,
                 device: str = "cpu", dtype: str = "float32", inference: str = "auto",
                 batch_size: int = 64) -> LoadedEncoder:
    """A registered encoder, loaded as ``harness run`` loads it, with an ``embed(signals, fs=...)``.

    ``modality`` is needed only for encoders that take several (e.g. ``handcrafted``); ``checkpoint``
    replaces the shipped weights with a safetensors file. ``inference`` is ``harness run --inference``
    (``eager`` leaves the encoder's module as written).
    """
    from harness.plugins import get_host
    from harness.provenance import resolve_device

    entry = get_host().encoders.get(name)
    mods = entry.spec.modalities
    if modality is None:
        if len(mods) != 1:
            raise UsageError(f"encoder '{name}' takes several modalities ({', '.join(mods) or 'any'})",
                             "pass modality=..., e.g. modality='ppg'")
        modality = mods[0]
    elif mods and modality not in mods:
        raise UsageError(f"encoder '{name}' takes {'/'.join(mods)} data, not {modality}",
                         "pass one of its modalities")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(f"batch_size={batch_size!r} is not a positive integer", "pass e.g. batch_size=64")
    if checkpoint is not None:
        from harness.runner import check_takes_checkpoint

        check_takes_checkpoint(entry, str(checkpoint))  # an encoder without weights would ignore it
    from harness.runner import load_entry

    chosen = resolve_device(device, torch_encoders=bool(entry.spec.uses_torch))
    encoder = load_entry(entry, modality=modality, device=chosen,
                         checkpoint=str(checkpoint) if checkpoint is not None else None)
    from harness.allocator import allocator_for
    from harness.inference import choose_inference_path, resolve_dtype

    used = resolve_dtype(dtype, chosen, uses_torch=bool(entry.spec.uses_torch)).dtype  # "auto" settled here
    choose_inference_path(encoder, inference, used)
    allocator_for(chosen, bool(entry.spec.uses_torch))  # what `harness run` does, so the API embeds as fast
    return LoadedEncoder(name=name, encoder=encoder, modality=modality, device=chosen, dtype=used,
                         batch_size=batch_size)


def results_frame(folder: str | Path) -> pd.DataFrame:
    """Every result under ``folder`` as one tidy table: a row per encoder × dataset × task × metric.

    Columns: the names and revisions, the metric with its value and CI, whether it is the task's main
    metric and its direction, the counts, the protocol (seed, folds, bootstrap, dtype) and provenance
    (harness version, commit, device, file). Results are loaded through the typed ``Result``, so a file
    that is not a valid result is refused with one line naming it.
    """
    import pandas as pd

    from harness.metrics import METRICS
    from harness.results import load_results

    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"results folder {root} does not exist", "pass the --output folder of a harness run")
    rows = []
    for result in load_results(root):
        probe = result.config.get("probe", {}) if isinstance(result.config.get("probe"), Mapping) else {}
        env = result.environment
        base = {
            "encoder": result.encoder.name, "encoder_kind": result.encoder.kind,
            "encoder_revision": result.encoder.revision, "dataset": result.dataset.name,
            "modality": result.dataset.modality, "dataset_revision": result.dataset.revision,
            "task": result.task.name, "task_version": result.task.version,
            "participants": result.counts.participants, "segments": result.counts.segments,
            "training_overlap": result.training_overlap, "seed": result.config.get("seed"),
            "folds": probe.get("folds"), "bootstrap": probe.get("bootstrap"), "dtype": result.config.get("dtype"),
            "harness_version": env.get("harness"), "git_commit": (env.get("git") or {}).get("commit"),
            "device": env.get("device"), "torch": (env.get("packages") or {}).get("torch"),
            "path": str(result.path) if result.path else None,
        }
        for metric, score in result.scores.items():
            meta = METRICS.get(metric)
            rows.append({**base, "metric": metric, "value": score.value, "ci_low": score.ci_low,
                         "ci_high": score.ci_high, "main": metric == result.metric,
                         "higher_is_better": meta.higher_is_better if meta else None})
    columns = ["encoder", "encoder_kind", "encoder_revision", "dataset", "modality", "dataset_revision", "task",
               "task_version", "metric", "value", "ci_low", "ci_high", "main", "higher_is_better", "participants",
               "segments", "training_overlap", "seed", "folds", "bootstrap", "dtype", "harness_version",
               "git_commit", "device", "torch", "path"]
    return pd.DataFrame(rows, columns=columns)
