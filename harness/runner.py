"""``harness run``: embed a dataset with each encoder, probe each task, write one result per pair.

This module orchestrates; the pieces live next to what they are about: store content checks in
:mod:`harness.store.checks`, the training-overlap policy in :mod:`harness.overlap`, result assembly,
validation and formatting in :mod:`harness.results`, device and provenance in :mod:`harness.provenance`.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from harness import options
from harness.adapter import adapt, adaptation_policy, channel_plan, mean_by_row
from harness.allocator import allocator_for
from harness.catalog import DatasetChoice, default_dataset, open_choice, resolve_dataset
from harness.embed_cache import UNIT_ROWS, EmbeddingCache, cache_key
from harness.embedding_checks import Variation, constant_problem, finite_problem, identical_inputs_note
from harness.encoders import ENCODER_ATTRIBUTES, Batch, Encoder
from harness.errors import DataError, HarnessError, PluginError, UsageError
from harness.inference import check_inference_path, choose_inference_path, resolve_dtype
from harness.overlap import training_overlap
from harness.parallel import each_in_processes
from harness.plugins import PluginHost, get_host
from harness.probe import PROBE_MODELS, ProbeConfig, check_targets, participant_means
from harness.probe_diagnostics import summary_line
from harness.provenance import environment, resolve_device
from harness.ranks import SOLO, Ranks, from_env
from harness.registry import Entry
from harness.results import EncoderInfo, Result, build_result, write_result
from harness.segment_probe import read_segment_targets
from harness.specs import EncoderSpec
from harness.store import SignalStore
from harness.store.checks import check_finite, check_lengths
from harness.task_scoring import CurveSettings, TaskScore, score_task
from harness.tasks import TaskSpec


@dataclass
class RunConfig:
    encoders: list[str]
    tasks: list[str]
    dataset: str | None = None
    seed: int = 0
    device: str = "auto"
    output: Path = Path("results")
    checkpoint: str | None = None
    batch_size: int = 64
    folds: int = 5
    bootstrap: int = 1000
    use_cache: bool = True
    progress: bool = True
    skip_unsuitable: bool = False
    dtype: str = "float32"
    #: ``--inference``: forward path for torch encoders (auto: a frozen trace where the encoder offers one)
    inference: str = "auto"
    data_root: str | None = None  # object-storage store root for dataset names (``--data-url``)
    #: shares of each training fold's participants for the label-efficiency curve (empty: none)
    label_fractions: tuple[float, ...] = ()
    label_repeats: int = 3
    #: processes for the label-efficiency refits (the curve is the same for any number)
    label_jobs: int = 1
    #: ``--probe-jobs``: processes for the probes, over tasks or one task's folds (same scores for any number)
    probe_jobs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """The CLI's ranges (:mod:`harness.options`) for every other caller too: Python API, suite files."""
        for name, kind, value in (("seed", options.SEED, self.seed), ("folds", options.FOLDS, self.folds),
                                  ("bootstrap", options.BOOTSTRAP, self.bootstrap),
                                  ("batch_size", options.BATCH_SIZE, self.batch_size)):
            kind.check(value, name)
        options.JOBS.check(self.label_jobs, "label_jobs")
        options.JOBS.check(self.probe_jobs, "probe_jobs")
        check_inference_path(self.inference)
        if self.label_fractions:
            from harness.label_efficiency import check_fractions

            self.label_fractions = check_fractions(self.label_fractions, self.label_repeats)


def _modality_of(spec: EncoderSpec, task: TaskSpec | None) -> str | None:
    mods = spec.modalities
    if len(mods) == 1:
        return mods[0]
    if task is not None and len(task.modalities) == 1:
        return task.modalities[0]
    return None


def inference_context(device: str, dtype: str) -> contextlib.AbstractContextManager[Any]:
    """Autocast for torch encoders when a lower precision is asked for (``--dtype bfloat16``).

    One mechanism for every encoder: whatever torch ops an encoder's ``embed`` runs are autocast;
    numpy-only encoders are unaffected. The dtype is part of the embedding cache key and the result.
    At the default float32 torch is not imported.
    """
    if dtype == "float32":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=getattr(torch, dtype))


def _adapted_blocks(encoder: Encoder, store: SignalStore, start: int, stop: int, block: int,
                    n_valid_all: np.ndarray) -> Iterator[tuple[int, int, Any]]:
    """The store's segments ``start`` to ``stop``, checked and adapted to the encoder, one block at a time."""
    for lo in range(start, stop, block):
        hi = min(lo + block, stop)
        raw = store.read(lo, hi)
        check_finite(store, raw, n_valid_all[lo:hi], lo)
        yield lo, hi, adapt(raw, n_valid_all[lo:hi], store.fs, encoder.input_spec,
                            channel_names=store.channel_names)


def work_unit(block: int, target: int = UNIT_ROWS) -> int:
    """Rows per cache unit: a whole number of read blocks, so the encoder sees the same batches however
    the units are dealt out (one process or many ranks give identical embeddings)."""
    return block * max(1, -(-target // block))


def embed_batch(encoder: Encoder, batch: Batch, device: str, dtype: str, lo: int, hi: int) -> np.ndarray:
    """One ``encoder.embed`` call, its failures and wrong shapes or values turned into one-line errors
    (the runner and the Python API's ``LoadedEncoder.embed`` both call it)."""
    try:
        with inference_context(device, dtype):
            emb = np.asarray(encoder.embed(batch), dtype=np.float32)
    except HarnessError:
        raise
    except Exception as exc:
        raise PluginError(f"encoder '{encoder.name}' failed while embedding segments {lo}-{hi}: "
                          f"{type(exc).__name__}: {exc}", "fix the encoder or disable its plugin") from exc
    expected = (len(batch.signal), encoder.embedding_dim)
    if emb.shape != expected:
        raise PluginError(f"encoder '{encoder.name}' returned embeddings of shape {emb.shape}, "
                          f"expected {expected}", "fix the encoder's embed()")
    fault = finite_problem(encoder.name, emb)
    if fault:
        raise fault
    return emb


def embed_store(encoder: Encoder, store: SignalStore, *, batch_size: int, cache: EmbeddingCache,
                progress: bool = True, device: str = "cpu", dtype: str = "float32",
                input_labels: tuple[str, ...] = (), warn: Callable[[str], None] | None = None,
                inference_path: str = "eager", lazy: bool = False,
                ranks: Ranks = SOLO) -> tuple[Any, dict[str, Any], bool, float]:
    """Per-segment embeddings of the whole store (streamed block by block, cached).

    ``lazy``: the cache entry's on-disk array (row-sliceable, read in chunks by ``participant_means``)
    instead of a NumPy copy, so memory does not grow with the number of segments.

    ``ranks``: the processes of a ``torchrun`` launch; each embeds its share of the cache's units, and
    every rank gets the whole store's embeddings back (:meth:`EmbeddingCache.compute`).

    Only the participant labels the encoder's spec declares as ``input_labels`` reach ``Batch.labels``.
    Embeddings that are constant over the whole store are refused (:mod:`harness.embedding_checks`),
    computed or cached alike; constant embeddings of identical inputs are passed to ``warn``.
    """
    probe_policy = adaptation_policy(store.fs, encoder.input_spec, channels=len(store.channel_names),
                                     channel_names=store.channel_names)
    key = cache_key({"encoder": encoder.name, "encoder_revision": encoder.revision,
                     "store_revision": store.revision, "adapter": probe_policy, "dtype": dtype,
                     **({"inference_path": inference_path} if inference_path != "eager" else {}),
                     "input_spec": encoder.input_spec.to_dict() if encoder.input_spec else None})
    labels = store.participants
    pid_all = store.participant_ids
    n_valid_all = store.n_valid
    label_rows = {name: labels[name].reindex(pid_all).to_numpy() for name in labels.columns
                  if name in input_labels}
    block = max(batch_size, store.chunk_segments)
    seen_embeddings, seen_inputs = Variation(), Variation()

    check_lengths(store, n_valid_all)

    bar = tqdm(total=store.n_segments, desc=f"embed {encoder.name}", unit="seg",
               disable=not progress or not ranks.is_main, leave=False)

    def blocks(start: int, stop: int) -> Iterator[tuple[int, int, np.ndarray]]:
        for lo, hi, adapted in _adapted_blocks(encoder, store, start, stop, block, n_valid_all):
            seen_inputs.update(adapted.signal)
            rows = adapted.row_of + lo
            fs = encoder.input_spec.fs if encoder.input_spec else store.fs
            parts = []
            for b in range(0, len(adapted.signal), batch_size):  # the encoder sees --batch-size rows per call
                sl = slice(b, b + batch_size)
                batch = Batch(adapted.signal[sl], fs, pid_all[rows[sl]], adapted.n_valid[sl],
                              {k: v[rows[sl]] for k, v in label_rows.items()})
                parts.append(embed_batch(encoder, batch, device, dtype, lo, hi))
            emb = np.concatenate(parts) if parts else np.zeros((0, encoder.embedding_dim), np.float32)
            per_segment = mean_by_row(emb, adapted.row_of, hi - lo)
            seen_embeddings.update(per_segment)
            yield lo, hi, per_segment
            bar.update((hi - lo) * ranks.world_size)  # rank 0's bar stands for the launch

    def verify(embeddings: Any, hit: bool) -> None:
        """Refuse embeddings constant over the store, before they are cached (see EmbeddingCache.compute)."""
        seen = seen_embeddings
        if seen.rows < store.n_segments:  # a cache hit, a resumed or shared computation: check it all
            fault = None if hit else finite_problem(encoder.name, embeddings)
            if fault:  # (a hit was read back finite by EmbeddingCache.get)
                raise fault
            seen = Variation()
            seen.update_chunked(embeddings)
        if seen.varies or getattr(encoder, "constant_embedding", False):
            return
        inputs = seen_inputs
        if not inputs.varies and inputs.rows < store.n_segments:  # inputs not all seen in this process
            inputs = Variation()
            for _, _, adapted in _adapted_blocks(encoder, store, 0, store.n_segments, block, n_valid_all):
                inputs.update(adapted.signal)
                if inputs.varies:
                    break
        problem = constant_problem(encoder=encoder.name, dataset=store.name, n_segments=store.n_segments,
                                   embeddings=seen, inputs_vary=inputs.varies, dtype=dtype)
        if problem:
            raise problem
        if warn is not None and store.n_segments > 1:
            warn(identical_inputs_note(encoder.name, store.name))

    start = time.perf_counter()
    try:
        embeddings, hit = cache.compute(key, {"encoder": encoder.name, "store": store.name}, store.n_segments,
                                        encoder.embedding_dim, blocks, verify, lazy=lazy,
                                        unit=work_unit(block), ranks=ranks)
    finally:
        bar.close()
    return embeddings, {**probe_policy, "cache_key": key}, hit, time.perf_counter() - start


def uses_torch(entry: Entry) -> bool:
    """Does this encoder run torch? Encoders say ``uses_torch=False`` in their spec when
    they do not (numpy-only baselines); unknown encoders are assumed to, as before."""
    return bool(entry.spec.uses_torch)


def read_task_targets(task: TaskSpec, store: SignalStore, folds: int) -> pd.Series:
    """The task's probe targets per participant id (NaN = missing), checked to be scorable."""
    if task.level == "segment":  # per segment number instead (harness.segment_probe)
        return read_segment_targets(task, store, folds)
    if task.label not in store.labels:
        shown = ", ".join(store.labels) or "none"
        raise DataError(f"task '{task.name}' needs label '{task.label}', which dataset '{store.name}' lacks "
                        f"(it has: {shown})", "choose a task among those labels or another --dataset")
    task.check_modality(store.name, store.modality)
    table = store.participants
    targets = task.targets(table[task.label].to_numpy())
    check_targets(task, targets[np.isfinite(targets)], folds)  # before embedding
    return pd.Series(targets, index=table.index)


class Runner:
    def __init__(self, config: RunConfig, host: PluginHost | None = None) -> None:
        self.config = config
        self.host = host or get_host()
        self.cache = EmbeddingCache(enabled=config.use_cache)
        # an explicit device is checked now; "auto" is settled in run(), once the encoders are known
        self.device = config.device if config.device == "auto" else resolve_device(config.device)
        self._targets: dict[tuple[str, str, str], pd.Series | DataError] = {}
        self.datasets_used: list[DatasetChoice] = []
        self.skipped: list[dict[str, str]] = []
        #: the processes of a ``torchrun`` launch (a single process is a world of one): every rank embeds
        #: its share of the store, rank 0 alone probes, writes results and tells the observers
        self.ranks = Ranks(from_env())
        if self.ranks.enabled and not config.use_cache:
            raise UsageError("the ranks of a torchrun launch share their embeddings through the cache, so "
                             "--no-cache cannot be used under torchrun", "drop --no-cache")

    def _tasks(self) -> list[TaskSpec]:
        return [self.host.tasks.load(name) for name in self.config.tasks]

    def _dataset_for(self, spec: EncoderSpec, tasks: list[TaskSpec]) -> str:
        if self.config.dataset:
            return self.config.dataset
        return default_dataset(_modality_of(spec, tasks[0] if tasks else None))

    def run(self) -> list[Result]:
        """Every encoder on every task; under ``torchrun`` rank 0 returns the results, the others ``[]``."""
        tasks = self._tasks()
        entries = [self.host.encoders.get(name) for name in self.config.encoders]  # fail fast on names
        if self.config.checkpoint is not None:
            for entry in entries:
                check_takes_checkpoint(entry, self.config.checkpoint)
        if self.config.device == "auto":
            self.device = resolve_device("auto", torch_encoders=any(uses_torch(e) for e in entries))
        self.device = rank_device(self.device, self.ranks)
        self.ranks.join()
        results = self._run(tasks, entries)
        self.ranks.leave()  # together, after a successful run (a failed rank exits and torchrun stops the rest)
        return results

    def _run(self, tasks: list[TaskSpec], entries: list[Entry]) -> list[Result]:
        info: dict[str, Any] = {"encoders": self.config.encoders, "tasks": self.config.tasks,
                                "dataset": self.config.dataset, "seed": self.config.seed,
                                "output": str(self.config.output), "device": self.device}
        if self.ranks.enabled:
            info["world_size"] = self.ranks.world_size
        if self.ranks.is_main:
            self.host.notify("harness_run_start", run=info)
        results: list[Result] = []
        for entry in entries:
            choice = resolve_dataset(self._dataset_for(entry.spec, tasks), data_root=self.config.data_root)
            if choice not in self.datasets_used:
                self.datasets_used.append(choice)  # which store each name or path was taken to mean
            store = open_choice(choice, progress=self.config.progress, data_root=self.config.data_root)
            runnable = self._runnable_tasks(entry, tasks, store)
            if not runnable:
                continue
            results += self._run_encoder(entry, runnable, store, choice)
        if not self.ranks.is_main:
            return []
        info["skipped"] = list(self.skipped)  # each --skip-unsuitable skip, with its reason
        for line in skip_lines(self.skipped):
            warn(line)
        # Observers get the result payloads as plain dicts (what the file holds, plus "_path"), as they
        # always have: hook implementations in other packages index them by key, and a dict is what
        # the hookspec documents. ``Result.from_dict(payload)`` gives the typed form.
        self.host.notify("harness_run_end", run=info, results=[_payload(r) for r in results])
        return results

    def _task_targets(self, task: TaskSpec, store: SignalStore) -> pd.Series:
        """Targets per participant id, read and checked once per (task, store); a problem is kept too."""
        key = (task.versioned_name, str(store.path), store.revision)
        if key not in self._targets:
            try:
                self._targets[key] = read_task_targets(task, store, self.config.folds)
            except DataError as exc:
                self._targets[key] = exc
        found = self._targets[key]
        if isinstance(found, DataError):
            raise found
        return found

    def _skip(self, entry: Entry, tasks: list[TaskSpec], store: SignalStore, problem: HarnessError) -> None:
        """Under ``--skip-unsuitable``: one warning line per skipped task, naming it and why, and a
        record in the run's report (``run["skipped"]`` for the ``harness_run_end`` observers)."""
        if not self.config.skip_unsuitable:
            raise problem
        for task in tasks:
            self.skipped.append({"encoder": entry.name, "task": task.name, "dataset": store.name,
                                 "reason": problem.problem})

    def _runnable_tasks(self, entry: Entry, tasks: list[TaskSpec], store: SignalStore) -> list[TaskSpec]:
        mods = entry.spec.modalities
        if mods and store.modality not in mods:
            self._skip(entry, tasks, store, UsageError(
                f"encoder '{entry.name}' takes {'/'.join(mods)} data, dataset '{store.name}' is {store.modality}",
                "choose a dataset of that modality"))
            return []
        for wanted in entry.spec.input_specs:
            if wanted.modality != store.modality:
                continue
            try:
                channel_plan(len(store.channel_names), wanted.channels, store.channel_names,
                             wanted.preferred_channels, wanted.fewer_channels)
            except DataError as exc:
                self._skip(entry, tasks, store, DataError(
                    f"encoder '{entry.name}' needs {wanted.channels} channels, dataset '{store.name}' has "
                    f"{len(store.channel_names)} ({', '.join(store.channel_names)})", exc.fix))
                return []
        needs = entry.spec.requires_any_label
        if needs and not set(needs) & set(store.labels):
            self._skip(entry, tasks, store, UsageError(
                f"encoder '{entry.name}' needs one of the labels {', '.join(needs)}, which dataset "
                f"'{store.name}' lacks (it has: {', '.join(store.labels) or 'none'})",
                "choose a dataset with those labels"))
            return []
        keep = []
        for task in tasks:
            problem: HarnessError | None = None
            if task.label in entry.spec.input_labels:
                problem = UsageError(f"encoder '{entry.name}' uses label '{task.label}' as input, so it cannot "
                                     f"be scored on task '{task.name}'", "choose another task")
            else:
                try:
                    self._task_targets(task, store)
                except DataError as exc:
                    problem = exc
            if problem is None:
                keep.append(task)
            else:
                self._skip(entry, [task], store, problem)
        return keep

    def _score_tasks(self, tasks: list[TaskSpec], store: SignalStore, embeddings: Any, ids: np.ndarray,
                     features: np.ndarray, probe_cfg: ProbeConfig) -> Iterator[TaskScore]:
        """Every task's probe, in ``--probe-jobs`` processes: over the tasks when there are several (each
        then fits its folds and curve in turn), else over the one task's outer folds. Same scores for any
        number of processes (``tests/core/test_parallel_probes.py``)."""
        jobs = self.config.probe_jobs
        if any(task.level == "segment" for task in tasks):  # window-level probes read segment rows
            embeddings = np.asarray(embeddings[:])
        else:  # participant-level probes need only the means: the (possibly on-disk) array stays put
            embeddings = None
        curve = CurveSettings(self.config.label_fractions, self.config.label_repeats, self.config.label_jobs)
        per_task = len(tasks) > 1 and jobs > 1
        inner_curve = CurveSettings(curve.fractions, curve.repeats, 1) if per_task else curve
        items = [(task, self._task_targets(task, store), embeddings, store.participant_ids, ids, features,
                  store.participants, probe_cfg, inner_curve, 1 if per_task else jobs) for task in tasks]
        return each_in_processes(score_task, items, jobs if per_task else 1)

    def _load_encoder(self, entry: Entry, store: SignalStore) -> Encoder:
        return load_entry(entry, modality=store.modality, device=self.device, checkpoint=self.config.checkpoint)

    def _run_encoder(self, entry: Entry, tasks: list[TaskSpec], store: SignalStore,
                     choice: DatasetChoice) -> list[Result]:
        t0 = time.perf_counter()
        encoder = self._load_encoder(entry, store)
        load_s = time.perf_counter() - t0
        notes: list[str] = []
        precision = resolve_dtype(self.config.dtype, self.device, uses_torch=uses_torch(entry))  # --dtype auto
        path = choose_inference_path(encoder, self.config.inference, precision.dtype)  # --inference auto
        allocator = allocator_for(self.device, uses_torch(entry))  # freed memory kept for torch on the CPU
        if path.fell_back and self.ranks.is_main:
            warn(f"{encoder.name}: {path.reason}")
        embeddings, adapter_policy, cache_hit, embed_s = embed_store(
            encoder, store, batch_size=self.config.batch_size, cache=self.cache, progress=self.config.progress,
            device=self.device, dtype=precision.dtype, input_labels=entry.spec.input_labels, warn=notes.append,
            inference_path=path.path, lazy=True, ranks=self.ranks)
        if not self.ranks.is_main:  # its share is in the cache; rank 0 probes
            return []
        for note in notes:
            warn(note)
        constant_by_design = bool(getattr(encoder, "constant_embedding", False))
        ids, features = participant_means(embeddings, store.participant_ids)
        overlap, overlap_detail = training_overlap(
            dataset=store.name, revision=store.revision, training_datasets=encoder.training_datasets or (),
            training_revisions=encoder.training_revisions or (),
            is_independent_draw=store.name in self.host.datasets and self.host.datasets.spec(store.name).synthetic)
        info = EncoderInfo(name=encoder.name, revision=encoder.revision, provider=entry.provider,
                           kind=entry.spec.kind, embedding_dim=encoder.embedding_dim,
                           checkpoint=self.config.checkpoint, config=encoder.describe(),
                           training_datasets=tuple(encoder.training_datasets or ()))
        probe_cfg = ProbeConfig(folds=self.config.folds, bootstrap=self.config.bootstrap, seed=self.config.seed)
        scored = self._score_tasks(tasks, store, embeddings, ids, features, probe_cfg)
        out = []
        for task, score in zip(tasks, scored, strict=True):
            outcome = score.outcome
            diagnostics = {**outcome.diagnostics, **({"embeddings": notes[0]} if notes else {})}
            summary = summary_line(outcome.diagnostics, constant_expected=constant_by_design or bool(notes))
            if summary:
                warn(f"{encoder.name} · {task.name} · {store.name}: {summary} (recorded in the result's diagnostics)")
            result = build_result(
                encoder=info, task=task, dataset={**store.describe(), "resolved": choice.to_dict()},
                outcome=outcome, participant_ids=score.rows,
                config={"seed": self.config.seed, "probe": probe_cfg.to_dict(), "probe_model": PROBE_MODELS[task.kind],
                        "chosen_params": outcome.fold_params, "batch_size": self.config.batch_size,
                        "input_adaptation": adapter_policy, "aggregation": score.aggregation,
                        **precision.to_dict(), **path.to_dict(), "allocator": allocator},
                segments=score.segments,
                environment=environment(self.device),
                timings={"encoder_load_s": round(load_s, 3), "embed_s": round(embed_s, 3),
                         "embedding_cache_hit": cache_hit, "probe_s": round(score.probe_s, 3),
                         "embedding_ranks": self.ranks.world_size},
                training_overlap=overlap, training_overlap_detail=overlap_detail, diagnostics=diagnostics)
            if score.segment is not None:  # subgroups and age gap are participant-level analyses
                result = score.segment.with_counts(result, task)
            else:
                result = replace(result, extra={**result.extra, **score.extra})
            result = write_result(self.config.output, result)
            self.host.notify("harness_result", result=_payload(result))
            out.append(result)
        return out


def rank_device(device: str, ranks: Ranks) -> str:
    """Under ``torchrun`` a bare ``cuda`` is this rank's own GPU (``cuda:LOCAL_RANK``)."""
    if not ranks.enabled or device != "cuda":
        return device
    import torch

    return f"cuda:{ranks.info.local_rank % torch.cuda.device_count()}"


def skip_lines(skipped: list[dict[str, str]]) -> list[str]:
    """One warning line per (dataset, reason) for the ``--skip-unsuitable`` skips, naming every encoder
    and task it covers: a suite that skips the ECG task for six encoders says so once, not six times."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for skip in skipped:
        encoders, tasks = groups.setdefault((skip["dataset"], skip["reason"]), ([], []))
        for names, name in ((encoders, skip["encoder"]), (tasks, skip["task"])):
            if name not in names:
                names.append(name)

    def named(kind: str, names: list[str]) -> str:
        return f"{kind}{'s' if len(names) > 1 else ''} {', '.join(repr(n) for n in names)}"

    return [f"skipped {named('encoder', encoders)} on {named('task', tasks)} (dataset '{dataset}'): {reason}"
            for (dataset, reason), (encoders, tasks) in groups.items()]


def load_entry(entry: Entry, *, modality: str, device: str, checkpoint: str | None) -> Encoder:
    """Build a registered encoder the one way ``harness run`` and the Python API do: a failure inside the
    plugin becomes one line naming it, and the object must have every attribute of ``harness.Encoder``."""
    factory = entry.load()
    try:
        encoder: Encoder = factory(modality=modality, device=device, checkpoint=checkpoint)
    except (DataError, UsageError, PluginError):
        raise
    except Exception as exc:
        raise PluginError(f"encoder '{entry.name}' (plugin '{entry.provider}') failed to load: "
                          f"{type(exc).__name__}: {exc}", "fix or disable the plugin") from exc
    missing = [a for a in ENCODER_ATTRIBUTES if not hasattr(encoder, a)]
    if missing:
        raise PluginError(f"encoder '{entry.name}' (plugin '{entry.provider}') lacks {', '.join(missing)}",
                          "give the encoder every attribute of the harness.Encoder protocol")
    return encoder


def warn(line: str) -> None:
    """One ``warning:`` line on stderr (the run goes on)."""
    print(f"warning: {line}", file=sys.stderr)


def takes_checkpoint(spec: EncoderSpec) -> bool:
    """Does ``--checkpoint`` mean anything to this encoder? Only when its spec declares weights it
    loads, published weights it imports (``weights_import``) or a pretraining recipe whose checkpoints
    it reads; otherwise the option would be ignored while being recorded as the result's provenance."""
    return spec.weights is not None or spec.weights_import is not None or spec.recipe is not None


def check_takes_checkpoint(entry: Entry, checkpoint: str) -> None:
    if not takes_checkpoint(entry.spec):
        raise UsageError(f"encoder '{entry.name}' loads no weights (its spec declares neither weights nor a "
                         f"pretraining recipe), so --checkpoint {checkpoint} would be ignored",
                         "drop --checkpoint, or pass it to an encoder that loads weights")


def _payload(result: Result) -> dict[str, Any]:
    """What observer hooks receive: the result file's payload plus ``"_path"`` (see ``Runner.run``)."""
    return {**result.to_dict(), "_path": str(result.path)}
