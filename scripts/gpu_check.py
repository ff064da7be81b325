"""Throughput of the full AHMS encoders on a CUDA GPU, and timed pretraining (run by gpu_check.sh).

Each phase is measured against a reference taken in the same run, and a phase that fails is recorded
(and the script exits 1 at the end) without stopping the others:

* embedding: segments/s of the harness's inference path at batch 256 for eager and traced forwards in
  float32 and bf16 autocast, and for ``--dtype auto`` (what ``harness run`` picks on this GPU), with
  the relative error of each against CPU float32 embeddings of the same segments, and the CPU's rate;
* training: samples/s of the harness trainer at batch 256 (AMP off and bf16, full windows and the
  shipped recipe's 15-s crops), end to end (loader included, in-process and with loader workers) and
  compute-only (one batch repeated), so the loader's share is visible;
* loader scaling: steady-state anchors/s of the pair loader with 1, 2, 4 and 8 decode threads (CPU);
* budget (``--budget-minutes`` > 0): each model pretrained with its shipped recipe (data, crops,
  objective) at batch 256 for as many steps as the measured rate fits into the budget, then exported
  with the model-card sidecar; the weights, sidecars and per-step losses land in ``--out``.

``--stores-only`` builds the pretraining stores and exits (gpu_check.sh runs it in the background while
the tests run). ``--device cpu --quick`` rehearses every code path on a machine without a GPU.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import harness
from harness.catalog import build_dataset
from harness.pretrain.config import PretrainConfig
from harness.pretrain.loader import make_loader
from harness.pretrain.trainer import Trainer, pretrain

ENCODERS = ("ahms-ppg", "ahms-ecg")
# The shipped weights' pretraining data (plugins/harness_ahms/weights/*.json): synthetic draw seed 1.
# ahms-ecg's shipped recipe also has PhysioNet/CinC 2017, which cannot travel to an offline GPU
# machine; the GPU run trains on the synthetic part alone and its sidecar says so.
STORES = {"ahms-ppg": ("synthetic-ppg", 2000), "ahms-ecg": ("synthetic-ecg", 8000)}
CROP_SECONDS = 15.0  # the shipped recipe's crops
LOADER_WORKERS = 4


class Run:
    """Sizes and device of this run (``--quick`` shrinks everything for a CPU rehearsal)."""

    def __init__(self, device: str, quick: bool, out: Path, work: Path) -> None:
        self.device, self.quick, self.out, self.work = device, quick, out, work
        self.batch = 16 if quick else 256
        self.repeats = 2 if quick else 10
        self.train_steps = 2 if quick else 20
        self.warmup = 1 if quick else 5
        self.failures: list[str] = []
        self.report: dict[str, Any] = {"batch": self.batch, "quick": quick}

    def sync(self) -> None:
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def store(self, encoder: str) -> Path:
        name, participants = STORES[encoder]
        participants = 60 if self.quick else participants
        path = self.work / "stores" / f"{name}-{participants}-s1.zarr"
        return Path(build_dataset(name, participants=participants, seed=1, progress=False, if_missing=True,
                                  output=path))

    def phase(self, report: dict[str, Any], key: str, fn: Callable[[], Any]) -> Any:
        """Run one phase; a failure is recorded with its traceback and the run goes on."""
        started = time.perf_counter()
        try:
            report[key] = fn()
        except Exception as exc:  # a GPU check reports every phase it can, not only the first failure
            traceback.print_exc()
            report[key] = {"error": f"{type(exc).__name__}: {exc}"}
            self.failures.append(key)
        print(f"-- {key}: {time.perf_counter() - started:.1f} s", flush=True)
        self.save()  # what was measured survives a run cut short
        return report[key]

    def save(self) -> None:
        self.report["failed_phases"] = self.failures
        tmp = self.out / "report.json.tmp"
        tmp.write_text(json.dumps(self.report, indent=1, default=float) + "\n")
        tmp.replace(self.out / "report.json")


def _median_rate(run: Run, fn: Callable[[], object], n: int) -> float:
    fn()  # warm-up: cuDNN autotuning, the allocator, a trace's first optimising calls
    fn()
    run.sync()
    times = []
    for _ in range(run.repeats):
        start = time.perf_counter()
        fn()
        run.sync()
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def _relative_error(a: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(a - reference) / np.linalg.norm(reference))


def embedding(run: Run, name: str) -> dict[str, Any]:
    """Segments/s of each inference variant on the device, and its error against CPU float32."""
    cpu = harness.load_encoder(name, device="cpu", batch_size=run.batch, inference="eager")
    spec = cpu.encoder.input_spec
    x = np.random.default_rng(0).standard_normal((run.batch, spec.channels, spec.samples)).astype(np.float32)
    start = time.perf_counter()
    reference = cpu.embed(x, fs=spec.fs)
    out: dict[str, Any] = {"batch": run.batch, "cpu_eager_float32_seg_s": run.batch / (time.perf_counter() - start)}
    del cpu
    for inference, dtype in (("eager", "float32"), ("eager", "bfloat16"), ("trace", "float32"),
                             ("trace", "bfloat16"), ("auto", "auto")):
        handle = harness.load_encoder(name, device=run.device, batch_size=run.batch, dtype=dtype,
                                      inference=inference)
        rate = _median_rate(run, lambda h=handle: h.embed(x, fs=spec.fs), run.batch)
        got = handle.embed(x, fs=spec.fs)
        out[f"{inference}_{dtype}"] = {"seg_s": rate, "dtype_used": handle.dtype,
                                       "relative_error_vs_cpu_float32": _relative_error(got, reference),
                                       "finite": bool(np.isfinite(got).all())}
        del handle
    base = out["eager_float32"]["seg_s"]
    out["ratios"] = {k: out[k]["seg_s"] / base for k in ("eager_bfloat16", "trace_float32", "trace_bfloat16",
                                                         "auto_auto")}
    out["ratios"]["eager_float32_over_cpu"] = base / out["cpu_eager_float32_seg_s"]
    return out


def _config(run: Run, name: str, store: Path, out: Path, *, steps: int, amp: str, crop: float | None,
            workers: int) -> PretrainConfig:
    return PretrainConfig(encoder=name, datasets=[str(store)], out=str(out), steps=steps, batch_size=run.batch,
                          device=run.device, amp=amp, crop_seconds=crop, workers=workers,
                          checkpoint_every=steps, progress=False)


def training_rate(run: Run, name: str, store: Path, *, amp: str, crop: float | None,
                  workers: int) -> dict[str, Any]:
    """Samples/s of the trainer's step, end to end (loader in the loop) and on one repeated batch."""
    steps = run.warmup + run.train_steps
    config = _config(run, name, store, run.work / "rate", steps=steps + 1, amp=amp, crop=crop, workers=workers)
    trainer = Trainer(config)
    loader = iter(make_loader(trainer.stream(0, steps + 1), workers=workers))
    try:
        for _ in range(run.warmup):
            stats = trainer.train_step(next(loader))
        float(stats.loss)
        run.sync()
        start = time.perf_counter()
        for _ in range(run.train_steps):
            stats = trainer.train_step(next(loader))
        loss = float(stats.loss)
        run.sync()
        end_to_end = time.perf_counter() - start
        batch = next(loader)
        if "rows" in batch:  # reused below: its own copy of the lent rows, which the loader may refill
            batch = {**batch, "rows": batch["rows"].clone()}
            batch["release"]()
            batch["release"] = lambda: None
        start = time.perf_counter()
        for _ in range(run.train_steps):
            stats = trainer.train_step(batch)
        float(stats.loss)
        run.sync()
        compute = time.perf_counter() - start
    finally:
        del loader
        trainer.release_process_group()
    samples = run.train_steps * run.batch
    return {"amp": amp, "crop_seconds": crop, "workers": workers, "steps_timed": run.train_steps,
            "samples_s": samples / end_to_end, "compute_only_samples_s": samples / compute,
            "loader_share": max(0.0, 1 - compute / end_to_end), "loss": loss, "finite": bool(np.isfinite(loss)),
            "amp_used": str(trainer.amp)}


def training(run: Run, name: str) -> dict[str, Any]:
    store = run.store(name)
    out: dict[str, Any] = {"batch": run.batch, "store": store.name}
    for amp in ("off", "bf16"):
        out[f"full_{amp}"] = training_rate(run, name, store, amp=amp, crop=None, workers=0)
    for workers in (0, LOADER_WORKERS):
        out[f"crop_bf16_workers{workers}"] = training_rate(run, name, store, amp="bf16", crop=CROP_SECONDS,
                                                           workers=workers)
    out["bf16_over_fp32_full"] = out["full_bf16"]["samples_s"] / out["full_off"]["samples_s"]
    return out


def loader_scaling(run: Run, name: str = "ahms-ppg") -> dict[str, Any]:
    """Steady-state anchors/s of the trainer's own pair stream (CPU only; in-process, the views' gather
    is left to the device) for 1, 2, 4 and 8 decode threads + prefetch, on the budget run's store: how
    far threads scale on a machine with more than 2 cores."""
    config = _config(run, name, run.store(name), run.work / "loader", steps=1, amp="off", crop=None, workers=0)
    trainer = Trainer(config)
    planner = trainer.stream(0, 1).planner()
    epoch = planner.steps_per_round * planner.rounds_per_epoch
    out: dict[str, Any] = {"batch": run.batch, "steps_per_epoch": epoch}

    def taken(batch: dict[str, Any]) -> int:  # released at once, as the trainer does after its views
        batch["release"]()
        return len(batch["pos1"])

    for threads in (1, 2, 4, 8):
        config.loader_threads = threads
        batches = iter(trainer.stream(0, 3 * epoch))
        for _ in range(epoch):  # the first epoch allocates and touches the buffers
            taken(next(batches))
        start = time.perf_counter()
        n = sum(taken(b) for b in batches)
        out[f"threads_{threads}_seg_s"] = n / (time.perf_counter() - start)
    trainer.release_process_group()
    out["threads_8_over_1"] = out["threads_8_seg_s"] / out["threads_1_seg_s"]
    return out


def budget_run(run: Run, name: str, minutes: float, rates: dict[str, Any]) -> dict[str, Any]:
    """Pretrain ``name`` with its shipped recipe at batch 256 for the steps the measured rate fits."""
    options = {w: rates.get(f"crop_bf16_workers{w}", {}).get("samples_s") for w in (0, LOADER_WORKERS)}
    measured = {w: r for w, r in options.items() if r}
    if not measured:
        raise RuntimeError("no training rate was measured for the budget run's configuration")
    workers = max(measured, key=lambda w: measured[w])
    steps_per_s = measured[workers] / run.batch
    # 80 % of the budget at the measured rate: start-up, checkpoints, the held-out rank and export fit
    steps = max(4, int(0.8 * minutes * 60 * steps_per_s))
    folder = run.work / f"{name}-budget"
    shutil.rmtree(folder, ignore_errors=True)
    config = _config(run, name, run.store(name), folder, steps=steps, amp="bf16", crop=CROP_SECONDS,
                     workers=workers)
    config.checkpoint_every = max(1, steps // 4)
    started = time.perf_counter()
    summary = pretrain(config)
    wall = time.perf_counter() - started
    encoder = Path(summary["encoder"])
    weights = run.out / f"{name}-gpu.safetensors"
    shutil.copyfile(encoder, weights)
    shutil.copyfile(encoder.with_suffix(".json"), weights.with_suffix(".json"))
    log = {"encoder": name, "steps": steps, "batch_size": run.batch, "workers": workers, "wall_s": wall,
           "losses": summary["losses"], "metrics": summary["metrics"], "loader": summary["loader"]}
    (run.out / f"{name}-gpu-log.json").write_text(json.dumps(log, default=float) + "\n")
    return {"steps": steps, "workers": workers, "wall_s": wall, "planned_s": minutes * 60,
            "samples_s": steps * run.batch / summary["wall_time_s"], "last_loss": summary["metrics"].get("last_loss"),
            "effective_rank": (summary["metrics"].get("effective_rank") or {}).get("value"),
            "weights": weights.name}


def environment(run: Run) -> dict[str, Any]:
    info: dict[str, Any] = {"torch": torch.__version__, "cuda": torch.version.cuda, "device": run.device,
                            "python": sys.version.split()[0], "harness": harness.__version__}
    if run.device.startswith("cuda"):
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, gpus=torch.cuda.device_count(), memory_gib=props.total_memory / 2**30,
                    capability=f"{props.major}.{props.minor}", bf16=torch.cuda.is_bf16_supported())
    return info


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for name in ENCODERS:
        part = report.get(name, {})
        emb, tr = part.get("embedding", {}), part.get("training", {})
        if "ratios" in emb:
            lines.append(f"{name} embedding seg/s: eager fp32 {emb['eager_float32']['seg_s']:.0f}, eager bf16 "
                         f"{emb['eager_bfloat16']['seg_s']:.0f}, trace fp32 {emb['trace_float32']['seg_s']:.0f}, "
                         f"trace bf16 {emb['trace_bfloat16']['seg_s']:.0f}, auto ({emb['auto_auto']['dtype_used']}) "
                         f"{emb['auto_auto']['seg_s']:.0f}; CPU eager fp32 {emb['cpu_eager_float32_seg_s']:.0f}; "
                         f"rel err vs CPU fp32: fp32 {emb['eager_float32']['relative_error_vs_cpu_float32']:.1e}, "
                         f"bf16 {emb['eager_bfloat16']['relative_error_vs_cpu_float32']:.1e}")
        if "full_off" in tr:
            off, bf16 = tr["full_off"], tr["full_bf16"]
            lines.append(f"{name} training samples/s (batch {tr['batch']}): full fp32 {off['samples_s']:.0f} "
                         f"(compute {off['compute_only_samples_s']:.0f}), full bf16 "
                         f"{bf16['samples_s']:.0f} (compute {bf16['compute_only_samples_s']:.0f}), "
                         f"15-s crops bf16 workers 0 {tr['crop_bf16_workers0']['samples_s']:.0f} / workers "
                         f"{LOADER_WORKERS} {tr[f'crop_bf16_workers{LOADER_WORKERS}']['samples_s']:.0f} "
                         f"(compute {tr['crop_bf16_workers0']['compute_only_samples_s']:.0f})")
        if "steps" in part.get("budget", {}):
            b = part["budget"]
            lines.append(f"{name} budget run: {b['steps']} steps x {report['batch']} in {b['wall_s']:.0f} s "
                         f"(workers {b['workers']}), last loss {b['last_loss']:.3f}, effective rank "
                         f"{b['effective_rank']}")
    scaling = report.get("loader_scaling", {})
    if "threads_1_seg_s" in scaling:
        lines.append("pair loader anchors/s (CPU, steady state, prefetch): " + ", ".join(
            f"{t} threads {scaling[f'threads_{t}_seg_s']:.0f}" for t in (1, 2, 4, 8)))
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget-minutes", type=float, default=0.0, help="pretraining time per model")
    parser.add_argument("--out", type=Path, default=Path("gpu-check"), help="report, weights and logs")
    parser.add_argument("--work", type=Path, default=None, help="stores and checkpoints (default OUT/work)")
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu for a rehearsal")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: rehearse the code paths")
    parser.add_argument("--stores-only", action="store_true", help="build the pretraining stores and exit")
    args = parser.parse_args()
    run = Run(args.device, args.quick, args.out, args.work or args.out / "work")
    run.out.mkdir(parents=True, exist_ok=True)
    if args.stores_only:
        for name in ENCODERS:
            print("built", run.store(name), flush=True)
        return 0
    report = run.report
    run.phase(report, "environment", lambda: environment(run))
    for name in ENCODERS:
        part = report.setdefault(name, {})
        run.phase(part, "embedding", lambda n=name: embedding(run, n))
        run.phase(part, "training", lambda n=name: training(run, n))
    run.phase(report, "loader_scaling", lambda: loader_scaling(run))
    if args.budget_minutes > 0:
        for name in ENCODERS:
            part = report[name]
            run.phase(part, "budget", lambda n=name, p=part: budget_run(run, n, args.budget_minutes,
                                                                         p.get("training", {})))
    run.save()
    print("\n".join(summary_lines(report)))
    print(f"report: {run.out / 'report.json'}" + (f"; FAILED: {', '.join(run.failures)}" if run.failures else ""))
    return 1 if run.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
