"""``harness run``: embed a dataset with each encoder, probe each task, write one result per pair."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from harness import __version__
from harness.adapter import adapt, adaptation_policy, mean_by_row
from harness.catalog import default_dataset, open_dataset
from harness.embed_cache import EmbeddingCache, cache_key
from harness.encoders import Batch, Encoder
from harness.errors import DataError, HarnessError, PluginError, UsageError
from harness.plugins import PluginHost, get_host
from harness.probe import ProbeConfig, check_targets, participant_means, run_probe
from harness.provenance import device_info, git_commit, package_versions, plugin_versions, resolve_device
from harness.results import SCHEMA_VERSION, write_result
from harness.specs import EncoderSpec
from harness.store import SignalStore
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
    extra: dict[str, Any] = field(default_factory=dict)


def _modality_of(spec: EncoderSpec, task: TaskSpec | None) -> str | None:
    mods = spec.modalities
    if len(mods) == 1:
        return mods[0]
    if task is not None and len(task.modalities) == 1:
        return task.modalities[0]
    return None


def inference_context(device: str, dtype: str):
    """Autocast for torch encoders when a lower precision is asked for (``--dtype bfloat16``).

    One mechanism for every encoder: whatever torch ops an encoder's ``embed`` runs are autocast;
    numpy-only encoders are unaffected. The dtype is part of the embedding cache key and the result.
    """
    import contextlib

    if dtype == "float32":
        return contextlib.nullcontext()
    import torch

    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=getattr(torch, dtype))


MIN_VALID_SECONDS = 1.0  # shorter recordings would be embedded as mostly zero padding


def check_lengths(store: SignalStore, n_valid: np.ndarray) -> None:
    """Refuse segments whose valid length is impossible or too short to embed meaningfully."""
    bad = np.flatnonzero((n_valid < 1) | (n_valid > store.samples))
    if bad.size:
        raise DataError(f"store {store.path} records {bad.size} segment lengths outside 1..{store.samples} "
                        f"(first: segment {int(bad[0])})", f"run `harness data validate {store.path}` and rebuild it")
    short = np.flatnonzero(n_valid < MIN_VALID_SECONDS * store.fs)
    if short.size:
        first = int(short[0])
        raise DataError(f"{short.size} segments of store {store.path} hold less than {MIN_VALID_SECONDS:g} s of "
                        f"signal (segment {first} has {n_valid[first] / store.fs:.2g} s)",
                        "drop or merge recordings shorter than 1 s before building the store")


def check_finite(store: SignalStore, raw: np.ndarray, n_valid: np.ndarray, offset: int) -> None:
    """NaN or inf inside a segment's valid samples means a damaged store (e.g. a lost chunk): refuse it."""
    valid = np.arange(raw.shape[-1])[None, :] < n_valid[:, None]
    bad = (~np.isfinite(raw) & valid[:, None, :]).any(axis=(1, 2))
    if bad.any():
        first = offset + int(np.flatnonzero(bad)[0])
        raise DataError(f"segment {first} of store {store.path} holds NaN or inf inside its valid samples "
                        "(a missing or damaged chunk, or a bad recording)",
                        f"run `harness data validate {store.path}` and rebuild the store")


def embed_store(encoder: Encoder, store: SignalStore, *, batch_size: int, cache: EmbeddingCache,
                progress: bool = True, device: str = "cpu", dtype: str = "float32",
                input_labels: tuple[str, ...] = ()) -> tuple[np.ndarray, dict[str, Any], bool, float]:
    """Per-segment embeddings of the whole store (streamed block by block, cached).

    Only the participant labels the encoder's spec declares as ``input_labels`` reach ``Batch.labels``.
    """
    probe_policy = adaptation_policy(store.fs, encoder.input_spec, channels=len(store.channel_names),
                                     channel_names=store.channel_names)
    key = cache_key({"encoder": encoder.name, "encoder_revision": encoder.revision,
                     "store_revision": store.revision, "adapter": probe_policy, "dtype": dtype,
                     "input_spec": encoder.input_spec.to_dict() if encoder.input_spec else None})
    labels = store.participants
    pid_all = store.participant_ids
    n_valid_all = store.n_valid
    label_rows = {name: labels[name].reindex(pid_all).to_numpy() for name in labels.columns
                  if name in input_labels}

    check_lengths(store, n_valid_all)

    def blocks(start: int) -> Iterator[tuple[int, int, np.ndarray]]:
        block = max(batch_size, store.chunk_segments)
        bar = tqdm(total=store.n_segments, initial=start, desc=f"embed {encoder.name}", unit="seg",
                   disable=not progress, leave=False)
        for lo in range(start, store.n_segments, block):
            hi = min(lo + block, store.n_segments)
            raw = store.read(lo, hi)
            check_finite(store, raw, n_valid_all[lo:hi], lo)
            adapted = adapt(raw, n_valid_all[lo:hi], store.fs, encoder.input_spec,
                            channel_names=store.channel_names)
            rows = adapted.row_of + lo
            batch = Batch(adapted.signal, encoder.input_spec.fs if encoder.input_spec else store.fs,
                          pid_all[rows], adapted.n_valid, {k: v[rows] for k, v in label_rows.items()})
            try:
                with inference_context(device, dtype):
                    emb = np.asarray(encoder.embed(batch), dtype=np.float32)
            except HarnessError:
                raise
            except Exception as exc:
                raise PluginError(f"encoder '{encoder.name}' failed while embedding segments {lo}-{hi}: "
                                  f"{type(exc).__name__}: {exc}", "fix the encoder or disable its plugin") from exc
            expected = (len(adapted.signal), encoder.embedding_dim)
            if emb.shape != expected:
                raise PluginError(f"encoder '{encoder.name}' returned embeddings of shape {emb.shape}, "
                                  f"expected {expected}", "fix the encoder's embed()")
            if not np.isfinite(emb).all():
                raise PluginError(f"encoder '{encoder.name}' returned NaN or inf embeddings",
                                  "check the input data or the encoder")
            yield lo, hi, mean_by_row(emb, adapted.row_of, hi - lo)
            bar.update(hi - lo)
        bar.close()

    start = time.perf_counter()
    embeddings, hit = cache.compute(key, {"encoder": encoder.name, "store": store.name}, store.n_segments,
                                    encoder.embedding_dim, blocks)
    return embeddings, {**probe_policy, "cache_key": key}, hit, time.perf_counter() - start


def training_overlap(encoder: Encoder, store: SignalStore) -> tuple[bool, str]:
    """Did the encoder see this evaluation data in training? Conservative, by name and by content.

    Same store revision: overlap. Same dataset name with another revision: overlap, except for
    synthetic cohorts, whose other revisions (other seeds) hold other participants.
    """
    names = tuple(encoder.training_datasets or ())
    revisions = tuple(getattr(encoder, "training_revisions", ()) or ())
    if store.revision in revisions:
        return True, "trained on this exact store"
    if store.name not in names:
        return False, "none"
    if revisions and store.attrs.get("source") == "synthetic":
        return False, f"trained on another draw of {store.name} ({', '.join(revisions)}); no shared participants"
    return True, f"trained on dataset '{store.name}' (another build or revision)"


def task_labels(task: TaskSpec, store: SignalStore) -> np.ndarray:
    if task.label not in store.labels:
        shown = ", ".join(store.labels) or "none"
        raise DataError(f"task '{task.name}' needs label '{task.label}', which dataset '{store.name}' lacks "
                        f"(it has: {shown})", "choose a task among those labels or another --dataset")
    if task.modalities and store.modality not in task.modalities:
        raise DataError(f"task '{task.name}' is for {'/'.join(task.modalities)} data, dataset "
                        f"'{store.name}' is {store.modality}", "choose another --dataset")
    return store.participants[task.label].to_numpy()


class Runner:
    def __init__(self, config: RunConfig, host: PluginHost | None = None) -> None:
        self.config = config
        self.host = host or get_host()
        self.cache = EmbeddingCache(enabled=config.use_cache)
        self.device = resolve_device(config.device)

    def _tasks(self) -> list[TaskSpec]:
        return [self.host.tasks.load(name) for name in self.config.tasks]

    def _dataset_for(self, spec: EncoderSpec, tasks: list[TaskSpec]) -> str:
        if self.config.dataset:
            return self.config.dataset
        return default_dataset(_modality_of(spec, tasks[0] if tasks else None))

    def run(self) -> list[dict[str, Any]]:
        tasks = self._tasks()
        entries = [self.host.encoders.get(name) for name in self.config.encoders]  # fail fast on names
        info = {"encoders": self.config.encoders, "tasks": self.config.tasks, "dataset": self.config.dataset,
                "seed": self.config.seed, "output": str(self.config.output), "device": self.device}
        self.host.notify("harness_run_start", run=info)
        results: list[dict[str, Any]] = []
        for entry in entries:
            store = open_dataset(self._dataset_for(entry.spec, tasks), progress=self.config.progress)
            runnable = self._runnable_tasks(entry, tasks, store)
            if not runnable:
                continue
            results += self._run_encoder(entry, runnable, store)
        self.host.notify("harness_run_end", run=info, results=results)
        return results

    def _runnable_tasks(self, entry, tasks: list[TaskSpec], store: SignalStore) -> list[TaskSpec]:
        mods = entry.spec.modalities
        if mods and store.modality not in mods:
            if self.config.skip_unsuitable:
                return []
            raise UsageError(f"encoder '{entry.name}' takes {'/'.join(mods)} data, dataset '{store.name}' is "
                             f"{store.modality}", "choose a dataset of that modality")
        needs = entry.spec.requires_any_label
        if needs and not set(needs) & set(store.labels):
            if self.config.skip_unsuitable:
                return []
            raise UsageError(f"encoder '{entry.name}' needs one of the labels {', '.join(needs)}, which dataset "
                             f"'{store.name}' lacks (it has: {', '.join(store.labels) or 'none'})",
                             "choose a dataset with those labels")
        keep = []
        for task in tasks:
            problem = None
            if task.label in entry.spec.input_labels:
                problem = UsageError(f"encoder '{entry.name}' uses label '{task.label}' as input, so it cannot "
                                     f"be scored on task '{task.name}'", "choose another task")
            else:
                try:
                    targets = task.targets(task_labels(task, store))
                    check_targets(task, targets[np.isfinite(targets)], self.config.folds)  # before embedding
                except DataError as exc:
                    problem = exc
            if problem is None:
                keep.append(task)
            elif not self.config.skip_unsuitable:
                raise problem
        return keep

    def _run_encoder(self, entry, tasks: list[TaskSpec], store: SignalStore) -> list[dict[str, Any]]:
        factory = entry.load()
        t0 = time.perf_counter()
        try:
            encoder: Encoder = factory(modality=store.modality, device=self.device,
                                       checkpoint=self.config.checkpoint)
        except (DataError, UsageError, PluginError):
            raise
        except Exception as exc:
            raise PluginError(f"encoder '{entry.name}' (plugin '{entry.provider}') failed to load: "
                              f"{type(exc).__name__}: {exc}", "fix or disable the plugin") from exc
        load_s = time.perf_counter() - t0
        embeddings, adapter_policy, cache_hit, embed_s = embed_store(
            encoder, store, batch_size=self.config.batch_size, cache=self.cache, progress=self.config.progress,
            device=self.device, dtype=self.config.dtype, input_labels=entry.spec.input_labels)
        ids, features = participant_means(embeddings, store.participant_ids)
        overlap, overlap_detail = training_overlap(encoder, store)
        out = []
        for task in tasks:
            t1 = time.perf_counter()
            labels = task.targets(store.participants[task.label].reindex(ids).to_numpy())
            keep = np.isfinite(labels)
            probe_cfg = ProbeConfig(folds=self.config.folds, bootstrap=self.config.bootstrap,
                                    seed=self.config.seed)
            outcome = run_probe(task, features[keep], labels[keep], probe_cfg)
            n_seg = int(np.isin(store.participant_ids, ids[keep]).sum())
            result = {
                "schema_version": SCHEMA_VERSION,
                "encoder": {"name": encoder.name, "revision": encoder.revision, "provider": entry.provider,
                            "kind": entry.spec.kind, "embedding_dim": encoder.embedding_dim,
                            "checkpoint": self.config.checkpoint, "config": encoder.describe(),
                            "training_datasets": list(encoder.training_datasets or ())},
                "task": {**task.to_dict(), "modalities": list(task.modalities),
                         "extra_metrics": list(task.extra_metrics)},
                "dataset": store.describe(),
                "scores": outcome.scores,
                "config": {"seed": self.config.seed, "probe": probe_cfg.to_dict(),
                           "probe_model": "ridge" if task.kind == "regression" else "logistic",
                           "chosen_params": outcome.fold_params, "batch_size": self.config.batch_size,
                           "input_adaptation": adapter_policy, "aggregation": "participant mean",
                           "dtype": self.config.dtype},
                "counts": {"participants": int(keep.sum()), "segments": n_seg,
                           "positives": int(labels[keep].sum()) if task.kind == "classification" else None},
                "environment": {"harness": __version__, "packages": package_versions(),
                                "plugins": plugin_versions(), "git": git_commit(),
                                **device_info(self.device)},
                "timings": {"encoder_load_s": round(load_s, 3), "embed_s": round(embed_s, 3),
                            "embedding_cache_hit": cache_hit, "probe_s": round(time.perf_counter() - t1, 3)},
                "training_overlap": overlap,
                "training_overlap_detail": overlap_detail,
                "predictions": {"participant_id": [str(i) for i in ids[keep]],
                                "y_true": [float(v) for v in outcome.y_true],
                                "y_pred": [float(v) for v in outcome.y_pred]},
            }
            path = write_result(self.config.output, result)
            result["_path"] = str(path)
            self.host.notify("harness_result", result=result)
            out.append(result)
        return out


def format_score(result: dict[str, Any]) -> str:
    main = result["task"]["metric"]
    s = result["scores"][main]
    line = (f"{result['encoder']['name']} · {result['task']['name']} · {result['dataset']['name']}: "
            f"{main.upper()} {s['value']:.3f} [95% CI {s['ci_low']:.3f}, {s['ci_high']:.3f}]")
    for extra in result["task"].get("extra_metrics", []):
        e = result["scores"][extra]
        line += f"; {extra.upper()} {e['value']:.3f} [{e['ci_low']:.3f}, {e['ci_high']:.3f}]"
    return line + f" (n={result['counts']['participants']} participants)"
