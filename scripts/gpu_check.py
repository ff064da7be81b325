"""Throughput of the full AHMS encoders on a CUDA GPU, and optional timed pretraining (gpu_check.sh).

Prints embedding segments/s (harness inference path, fp32 and bf16 autocast) and training samples/s
(the harness trainer with AMP) for ahms-ppg and ahms-ecg at batch 256, each with the same-run CPU or
fp32 reference it is compared with; with --budget-minutes > 0 pretrains both full models for that long
on synthetic cohorts and exports their weights and the trainer's log under --out.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import harness
from harness.catalog import build_dataset
from harness.pretrain.config import PretrainConfig
from harness.pretrain.trainer import pretrain

BATCH = 256
ENCODERS = ("ahms-ppg", "ahms-ecg")


def _rate(fn, n: int, repeats: int = 5) -> float:
    fn()  # warm-up (cuDNN autotuning, allocator)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return n / best


def embedding_throughput(name: str) -> dict[str, float]:
    gpu = harness.load_encoder(name, device="cuda", batch_size=BATCH)
    cpu = harness.load_encoder(name, device="cpu", batch_size=BATCH)
    spec = gpu.encoder.input_spec
    x = np.random.default_rng(0).standard_normal((BATCH, spec.channels, spec.samples)).astype(np.float32)
    fp32 = _rate(lambda: gpu.embed(x, fs=spec.fs), BATCH)
    gpu.dtype = "bfloat16"
    bf16 = _rate(lambda: gpu.embed(x, fs=spec.fs), BATCH)
    start = time.perf_counter()
    cpu.embed(x[:32], fs=spec.fs)
    cpu_rate = 32 / (time.perf_counter() - start)
    return {"cuda_fp32_seg_s": fp32, "cuda_bf16_seg_s": bf16, "cpu_fp32_seg_s": cpu_rate,
            "bf16_over_fp32": bf16 / fp32, "cuda_fp32_over_cpu": fp32 / cpu_rate}


def training_throughput(name: str, store: Path, out: Path, *, steps: int, amp: str) -> dict[str, float]:
    config = PretrainConfig(encoder=name, datasets=[str(store)], out=str(out), steps=steps, batch_size=BATCH,
                            device="cuda", amp=amp, checkpoint_every=steps, progress=False)
    summary = pretrain(config)
    return {"steps": steps, "samples_s": steps * BATCH / summary["wall_time_s"], "amp": amp,
            "wall_time_s": summary["wall_time_s"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget-minutes", type=float, default=0.0)
    parser.add_argument("--out", type=Path, default=Path("gpu-check"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    for name in ENCODERS:
        modality = name.split("-")[1]
        store = build_dataset(f"synthetic-{modality}", participants=400, progress=False, if_missing=True,
                              output=args.out / "stores" / f"synthetic-{modality}-400.zarr")
        report[name] = {"embedding": embedding_throughput(name)}
        for amp in ("off", "bf16"):
            report[name][f"training_{amp}"] = training_throughput(name, Path(store), args.out / f"{name}-{amp}",
                                                                  steps=20, amp=amp)
        print(name, json.dumps(report[name], indent=1, default=float))
    if args.budget_minutes > 0:
        for name in ENCODERS:
            modality = name.split("-")[1]
            store = build_dataset(f"synthetic-{modality}", participants=8000, seed=1, progress=False,
                                  if_missing=True, output=args.out / "stores" / f"synthetic-{modality}-8000-s1.zarr")
            out = args.out / f"{name}-budget"
            deadline = time.monotonic() + 60 * args.budget_minutes
            steps = 200
            while True:  # checkpoint and resume in rounds until the budget is spent
                config = PretrainConfig(encoder=name, datasets=[str(store)], out=str(out), steps=steps,
                                        batch_size=BATCH, device="cuda", amp="bf16", checkpoint_every=200,
                                        progress=False)
                summary = pretrain(config, resume=(out / "checkpoint").exists())
                if time.monotonic() > deadline:
                    break
                steps += 200
            report[name]["budget_run"] = {"steps": summary["step"], "encoder": summary["encoder"]}
            print(name, "budget run:", json.dumps(report[name]["budget_run"]))
    (args.out / "report.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(f"report: {args.out / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
