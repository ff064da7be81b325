"""The pretraining loop: online encoder + projection, EMA teacher, plugin losses, Adam, AMP, DDP.

Per step: ``loss = Σ pair-losses(s1, s2, t1, t2) + Σ mean-over-views embedding-losses(s)`` where ``s``
are the online model's projections of both augmented views (one forward over their concatenation) and
``t`` the teacher's (no grad). The teacher is an EMA of the online parameters,
``t ← m·t + (1-m)·s`` after every optimiser step, runs its BatchNorms on batch statistics (dropout
off) and takes the online model's BatchNorm running statistics as its own.

Reproducibility: batches, augmentations and dropout are seeded from ``(seed, rank, step)``; the
learning rate is a function of the step; so a run resumed from a checkpoint ends with exactly the
weights of an uninterrupted one (on CPU; CUDA kernels may add their own nondeterminism).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from harness.allocator import allocator_for
from harness.atomic import write_json
from harness.errors import DataError, UsageError
from harness.pretrain import distributed as dist_util
from harness.pretrain.checkpoint import (
    export_encoder,
    is_checkpoint,
    load_checkpoint,
    optimizer_from_tensors,
    save_checkpoint,
    versions,
)
from harness.pretrain.components import (
    architecture_of,
    build_augmentations,
    build_model,
    build_objective,
    build_pair_policy,
)
from harness.pretrain.config import PretrainConfig, Recipe, resolve_recipe
from harness.pretrain.loader import PairStream, SegmentReader, SegmentTable, build_table, derive_seed, make_loader
from harness.pretrain.rank import effective_rank
from harness.pretrain.retrieval import participant_retrieval
from harness.pretrain.views import ViewMaker
from harness.provenance import git_commit

CHECKPOINT_DIR = "checkpoint"
ENCODER_FILE = "encoder.safetensors"
SUMMARY_FILE = "summary.json"


# -- small pieces, tested on their own -------------------------------------------------------------
def make_teacher(online: nn.Module) -> nn.Module:
    """A frozen deep copy: BatchNorm on batch statistics, dropout off, no gradients."""
    teacher = copy.deepcopy(online)
    for p in teacher.parameters():
        p.requires_grad_(False)
    set_teacher_mode(teacher)
    return teacher


DROPOUT_TYPES: tuple[type[nn.Module], ...] = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                                              nn.AlphaDropout, nn.FeatureAlphaDropout)


def set_teacher_mode(teacher: nn.Module) -> None:
    teacher.train()
    for module in teacher.modules():
        if isinstance(module, DROPOUT_TYPES):
            module.eval()


@torch.no_grad()
def ema_update(teacher: nn.Module, online: nn.Module, momentum: float) -> None:
    """``t ← m·t + (1-m)·s`` for parameters; buffers (BatchNorm statistics) are copied from online."""
    for t_param, s_param in zip(teacher.parameters(), online.parameters()):
        t_param.lerp_(s_param.to(t_param.dtype), 1.0 - momentum)
    for t_buf, s_buf in zip(teacher.buffers(), online.buffers()):
        t_buf.copy_(s_buf)


def learning_rate(step: int, base: float, milestones: Sequence[int], factor: float) -> float:
    """Step decay: ``base · factor^(number of milestones ≤ step)``."""
    return base * factor ** sum(1 for m in milestones if step >= m)


def amp_dtype(mode: str, device: torch.device) -> torch.dtype | None:
    if device.type != "cuda" or mode == "off":
        return None
    if mode == "bf16" or (mode == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16


@dataclass
class StepStats:
    loss: torch.Tensor  # kept on the device: reading it every step would synchronise CUDA
    parts: dict[str, float] = field(default_factory=dict)


# -- the trainer ------------------------------------------------------------------------------------
class Trainer:
    """One pretraining run. ``stores`` may be passed already open (tests); otherwise ``config.datasets``
    are resolved with :func:`harness.catalog.open_dataset`."""

    def __init__(self, config: PretrainConfig, *, stores: Sequence[Any] | None = None, resume: bool = False,
                 host: Any = None) -> None:
        self.config = config
        self.resume = resume
        if host is None:
            from harness.plugins import get_host

            host = get_host()
        self.host = host
        entry = host.encoders.get(config.encoder)
        self.recipe: Recipe = resolve_recipe(config.encoder, entry.spec, config)
        self.info = dist_util.from_env()
        if config.batch_size % self.info.world_size:
            raise UsageError(f"--batch-size {config.batch_size} does not split over {self.info.world_size} ranks",
                             "use a multiple of the number of processes")
        self.local_batch = config.batch_size // self.info.world_size
        self.device = dist_util.resolve_device(config.device, self.info)
        self.allocator = allocator_for(self.device.type, True)  # CPU steps: freed memory kept, as for inference
        if stores is None:
            from harness.catalog import open_dataset

            stores = [open_dataset(name) for name in config.datasets]
        wrong = [s.name for s in stores if s.modality != self.recipe.input_spec.modality]
        if wrong:
            raise UsageError(f"dataset(s) {wrong} are not {self.recipe.input_spec.modality} but encoder "
                             f"'{config.encoder}' is", "pass stores of the encoder's modality")
        self.table: SegmentTable = build_table(stores, holdout_fraction=config.holdout_fraction)
        self.augment = build_augmentations(self.recipe, host)
        self.policy = build_pair_policy(self.recipe, host)
        self.objective = build_objective(self.recipe, host)
        self.out = Path(config.out)
        self.amp = amp_dtype(config.amp, self.device)
        self.milestones = config.decay_milestones()
        self.step = 0
        self.wall_time = 0.0
        self.metrics: dict[str, Any] = {}
        self.loader_stats: dict[str, Any] = {}
        self._build_model()

    # -- setup ------------------------------------------------------------------------------------
    def _build_model(self) -> None:
        torch.manual_seed(derive_seed(self.config.seed, "init"))
        self.online = build_model(self.recipe).to(self.device)
        self.teacher = make_teacher(self.online)
        self.optimizer = torch.optim.Adam(self.online.parameters(), lr=self.recipe.lr,
                                          weight_decay=self.recipe.weight_decay)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp is torch.float16)
        self.model: nn.Module = self.online
        if self.info.enabled:
            dist_util.init(self.info, self.device)
            dist_util.broadcast_module_state(self.online, self.info)
            dist_util.broadcast_module_state(self.teacher, self.info)
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = nn.parallel.DistributedDataParallel(self.online, device_ids=ids)

    def release_process_group(self) -> None:
        """Drop the DDP wrapper, whose reducer holds the process group.

        Otherwise the gloo group outlives ``destroy_process_group`` and is torn down whenever the trainer
        is garbage-collected, on each rank at its own time: a rank whose peer has already exited then
        hangs joining gloo's threads (seen in ``~ProcessGroupGloo`` under ``Reducer`` deallocation).
        Dropped here, the group is destroyed inside ``dist_util.shutdown`` on every rank, right after
        the barrier, while all ranks are alive.
        """
        import gc

        self.model = self.online
        gc.collect()

    @property
    def checkpoint_path(self) -> Path:
        return self.out / CHECKPOINT_DIR

    def _fingerprint(self) -> dict[str, Any]:
        """What must match for a resume to continue the same run."""
        return {"encoder": self.config.encoder, "recipe": self.recipe.to_dict(),
                "data": [(s.name, s.revision) for s in self.table.sources], "seed": self.config.seed,
                "batch_size": self.config.batch_size, "world_size": self.info.world_size,
                "holdout_fraction": self.config.holdout_fraction, "buffer_chunks": self.config.buffer_chunks}

    def _maybe_resume(self) -> None:
        path = self.checkpoint_path
        if not is_checkpoint(path):
            if self.resume and self.info.is_main:
                print(f"no checkpoint in {self.out}; starting from step 0")
            return
        if not self.resume:
            raise UsageError(f"{self.out} already holds a checkpoint",
                             "pass --resume to continue it, or choose another --out folder")
        ckpt = load_checkpoint(path)
        saved = ckpt.meta.get("fingerprint", {})
        mine = json.loads(json.dumps(self._fingerprint(), default=str))
        diff = sorted(k for k in mine if saved.get(k) != mine[k])
        if diff:
            raise DataError(f"the checkpoint in {path} was made with different settings ({', '.join(diff)})",
                            "resume with the original command line, or choose another --out folder")
        try:
            self.online.load_state_dict(ckpt.part("online"))
            self.teacher.load_state_dict(ckpt.part("teacher"))
        except RuntimeError as exc:
            raise DataError(f"checkpoint {path} does not fit the model ({exc})",
                            "resume with the original --encoder and --config") from exc
        optimizer_from_tensors(self.optimizer, ckpt.optimizer, ckpt.meta["optimizer"])
        if ckpt.meta.get("scaler"):
            self.scaler.load_state_dict(ckpt.meta["scaler"])
        self.step = ckpt.step
        self.wall_time = float(ckpt.meta.get("wall_time_s", 0.0))
        self.metrics = dict(ckpt.meta.get("metrics", {}))

    # -- one step -----------------------------------------------------------------------------------
    def train_step(self, batch: dict[str, Any]) -> StepStats:
        """Forward both views, loss, backward, Adam step, EMA update; returns the loss."""
        step = int(batch["step"])
        lr = learning_rate(step, self.recipe.lr, self.milestones, self.config.lr_decay_factor)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        torch.manual_seed(derive_seed(self.config.seed, "dropout", self.info.rank, step))
        nb = self.device.type == "cuda"
        x1, x2 = self.views(batch, self.device)
        pid = batch["participant"].to(self.device, non_blocking=nb)
        x = torch.cat([x1, x2])
        n = x1.shape[0]
        with torch.autocast(self.device.type, dtype=self.amp or torch.float32, enabled=self.amp is not None):
            s = self.model(x)
            with torch.no_grad():
                t = self.teacher(x)
            loss, parts = self.objective(s[:n], s[n:], t[:n], t[n:], pid)
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler.is_enabled():
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        ema_update(self.teacher, self.online, self.recipe.momentum)
        return StepStats(loss.detach(), parts)

    # -- evaluation ---------------------------------------------------------------------------------
    @torch.no_grad()
    def holdout_embeddings(self, limit: int | None = None) -> np.ndarray | None:
        """Online-encoder embeddings of held-out participants' segments (contiguous reads)."""
        limit = self.config.rank_segments if limit is None else limit
        held = np.flatnonzero(~self.table.train)[:limit]
        if len(held) == 0:
            return None
        reader = SegmentReader(self.table, self.recipe.input_spec)
        was_training = self.online.training
        self.online.eval()
        out = []
        try:
            for start in range(0, len(held), 256):
                idx = held[start:start + 256]
                x = torch.from_numpy(reader.read(idx)).to(self.device)
                with torch.autocast(self.device.type, dtype=self.amp or torch.float32,
                                    enabled=self.amp is not None):
                    out.append(self.online.embed(x).float().cpu().numpy())  # type: ignore[operator]
        finally:
            self.online.train(was_training)
        return np.concatenate(out)

    def evaluate_rank(self) -> dict[str, Any] | None:
        emb = self.holdout_embeddings()
        if emb is None or len(emb) < 2:
            return None
        held_participants = self.table.participant[~self.table.train][: len(emb)]
        # Uncentered (Roy & Vetterli, RankMe) and centered: a large shared mean can hide the spread.
        return {"value": effective_rank(emb), "centered": effective_rank(emb, center=True),
                "segments": len(emb), "dim": int(emb.shape[1]),
                "participants": len(np.unique(held_participants)),
                "participant_retrieval": participant_retrieval(emb, held_participants),
                "encoder": "online", "step": self.step}

    # -- checkpoints --------------------------------------------------------------------------------
    def meta(self) -> dict[str, Any]:
        return {
            "step": self.step, "steps": self.config.steps, "config": self.config.to_dict(),
            "recipe": self.recipe.to_dict(), "architecture": architecture_of(self.online),
            "augmentations": self.augment.to_dict(), "pair_policy": self.recipe.pair_policy,
            "objective": {name: repr(module) for name, (module, _) in self.objective.losses.items()},
            "data": self.table.summary(), "seed": self.config.seed, "batch_size": self.config.batch_size,
            "world_size": self.info.world_size, "device": str(self.device), "allocator": self.allocator,
            "amp": str(self.amp).replace("torch.", "") if self.amp else "off",
            "lr_milestones": self.milestones, "git_commit": git_commit()["commit"], "versions": versions(),
            "wall_time_s": self.wall_time, "metrics": self.metrics, "loader": self.loader_stats,
            "scaler": self.scaler.state_dict() if self.scaler.is_enabled() else None,
            "fingerprint": json.loads(json.dumps(self._fingerprint(), default=str)),
        }

    def save(self) -> Path:
        dist_util.broadcast_module_state(self.online, self.info)
        dist_util.broadcast_module_state(self.teacher, self.info)
        if self.info.is_main:
            save_checkpoint(self.checkpoint_path, online=self.online, teacher=self.teacher,
                            optimizer=self.optimizer, meta=self.meta())
        dist_util.barrier(self.info)
        return self.checkpoint_path

    # -- the loop -----------------------------------------------------------------------------------
    def stream(self, start: int, stop: int) -> PairStream:
        return PairStream(self.table, self.recipe.input_spec, self.policy,
                          batch_size=self.local_batch, seed=self.config.seed, start_step=start,
                          stop_step=stop, rank=self.info.rank, world_size=self.info.world_size,
                          buffer_chunks=self.config.buffer_chunks, threads=self.config.threads_per_loader(),
                          prefetch=self.config.prefetch,
                          # the views are gathered on the training device from the round's rows
                          gather="consumer")

    @cached_property
    def views(self) -> ViewMaker:
        """Normalise, crop and augment a loader batch on the device (seeded by step, like the batch)."""
        crop = self.config.crop_seconds
        return ViewMaker(self.recipe.input_spec, self.policy, self.augment, seed=self.config.seed,
                         rank=self.info.rank,
                         crop_samples=round(crop * self.recipe.input_spec.fs) if crop else None)

    def run(self, *, stop_after: int | None = None) -> dict[str, Any]:
        """Train to ``config.steps`` (or stop after ``stop_after`` steps, for tests); return a summary."""
        self._maybe_resume()
        stream = self.stream(self.step, self.config.steps)
        self.loader_stats = {**stream.planner().describe(), "workers": self.config.workers,
                             "threads": stream.threads, "prefetch": stream.prefetch}
        loader = make_loader(stream, workers=self.config.workers)
        bar = None
        if self.config.progress and self.info.is_main:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.config.steps, initial=self.step, desc=f"pretrain {self.config.encoder}",
                       unit="step", dynamic_ncols=True)
        chunks, participants, losses, done = [], [], [], 0
        last_loss = float("nan")
        started = time.perf_counter()
        tick = started
        try:
            for batch in loader:
                if stop_after is not None and done >= stop_after:
                    break
                stats = self.train_step(batch)
                self.step = int(batch["step"]) + 1
                done += 1
                losses.append(stats.loss)
                chunks.append(batch["chunks"])
                participants.append(batch["participants"])
                now = time.perf_counter()
                if bar is not None:
                    last_loss = float(stats.loss)
                    rate = self.config.batch_size / max(now - tick, 1e-9)
                    bar.set_postfix(loss=f"{last_loss:.4f}", samples_s=f"{rate:.0f}")
                    bar.update(1)
                tick = now
                if self.step % self.config.checkpoint_every == 0 or self.step == self.config.steps:
                    self._record(started, chunks, participants, float(stats.loss))
                    if self.config.rank_every_checkpoint or self.step == self.config.steps:
                        self.metrics["effective_rank"] = self.evaluate_rank()
                    self.save()
                    started = time.perf_counter()
        finally:
            if bar is not None:
                bar.close()
        self._record(started, chunks, participants, last_loss, final=True)
        if done == 0 and self.step >= self.config.steps and is_checkpoint(self.checkpoint_path):
            # Resuming a finished run re-evaluates the held-out effective rank and re-exports.
            self.metrics["effective_rank"] = self.evaluate_rank()
            self.save()
        summary = {"step": self.step, "steps": self.config.steps, "checkpoint": str(self.checkpoint_path),
                   "losses": [float(v) for v in losses],
                   "metrics": self.metrics, "loader": self.loader_stats, "wall_time_s": self.wall_time}
        if self.step >= self.config.steps and self.info.is_main and is_checkpoint(self.checkpoint_path):
            encoder = export_encoder(self.checkpoint_path, self.out / ENCODER_FILE)
            summary["encoder"] = str(encoder)
            write_json(self.out / SUMMARY_FILE, {k: v for k, v in summary.items() if k != "losses"})
        return summary

    def _record(self, started: float, chunks: list[int], participants: list[int], loss: float,
                final: bool = False) -> None:
        elapsed = time.perf_counter() - started
        if not final:
            self.wall_time += elapsed
        if chunks:
            self.loader_stats.update(mean_chunks_per_batch=float(np.mean(chunks)),
                                     mean_participants_per_batch=float(np.mean(participants)),
                                     min_participants_per_batch=int(np.min(participants)))
        if not np.isnan(loss):
            self.metrics["last_loss"] = loss


def pretrain(config: PretrainConfig, *, resume: bool = False, stores: Sequence[Any] | None = None,
             host: Any = None, stop_after: int | None = None) -> dict[str, Any]:
    """Run (or resume) one pretraining job; joins/leaves the torchrun process group as needed."""
    trainer = Trainer(config, stores=stores, resume=resume, host=host)
    summary = trainer.run(stop_after=stop_after)
    trainer.release_process_group()
    del trainer
    dist_util.shutdown()  # only on success: see dist_util.shutdown
    return summary
