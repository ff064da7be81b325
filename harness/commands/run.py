"""``harness run``: score encoders on probe tasks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness import options
from harness.commands import split_names


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="embed a dataset, probe tasks, write results",
                       description="Embed a dataset with each encoder and score each probe task.")
    p.add_argument("--encoder", required=True, help="encoder name(s), comma-separated")
    p.add_argument("--task", required=True, help="task name(s), comma-separated")
    p.add_argument("--dataset", help="dataset name or store path (default: the synthetic cohort of the "
                                     "encoder's or task's modality, built on first use)")
    p.add_argument("--data-url", help="object-storage store root, e.g. s3://bucket/stores (env HARNESS_DATA_URL)")
    p.add_argument("--seed", type=options.SEED, default=0, help=f"probe seed, 0..{options.SEED_MAX}")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--output", type=Path, default=None, help="result folder (default ./results)")
    p.add_argument("--checkpoint", default=None, help="load the encoder's weights from this file/folder")
    p.add_argument("--batch-size", type=options.BATCH_SIZE, default=64)
    p.add_argument("--folds", type=options.FOLDS, default=5, help="cross-validation folds (2 or more)")
    p.add_argument("--bootstrap", type=options.BOOTSTRAP, default=1000, help="bootstrap resamples (10 or more)")
    p.add_argument("--dtype", default="float32", choices=("auto", "float32", "bfloat16", "float16"),
                   help="inference precision for torch encoders (autocast); auto: bfloat16 only where the "
                        "CPU/GPU runs it natively, else float32; recorded in results")
    p.add_argument("--inference", default="auto", choices=("auto", "eager", "trace"),
                   help="forward path for torch encoders: trace (TorchScript trace + freeze, same embeddings "
                        "within 1e-6, faster on CPU), eager, or auto (trace where the encoder offers it); "
                        "recorded in results")
    p.add_argument("--label-fractions", type=options.LABEL_FRACTIONS, default=None, metavar="F[,F...]",
                   help="also fit probes on these shares of each training fold's participants, e.g. "
                        "0.01,0.05,0.1,0.25,0.5,1, and record the label-efficiency curve")
    p.add_argument("--label-repeats", type=options.LABEL_REPEATS, default=3,
                   help="seeded subsamples per label fraction (default 3)")
    p.add_argument("--label-jobs", type=options.JOBS, default=1,
                   help="processes for the label-efficiency refits (same curve for any number)")
    p.add_argument("--probe-jobs", type=options.JOBS, default=1,
                   help="processes for the probes: over the tasks, or one task's outer folds (same scores for "
                        "any number)")
    p.add_argument("--no-cache", action="store_true", help="recompute embeddings")
    p.add_argument("--skip-unsuitable", action="store_true",
                   help="skip encoder/task pairs the dataset cannot score instead of failing")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from harness.errors import UsageError
    from harness.results import format_score
    from harness.runner import RunConfig, Runner
    from harness.settings import results_dir

    config = RunConfig(encoders=split_names(args.encoder), tasks=split_names(args.task), dataset=args.dataset,
                       seed=args.seed, device=args.device, output=args.output or results_dir(),
                       checkpoint=args.checkpoint, batch_size=args.batch_size, folds=args.folds,
                       bootstrap=args.bootstrap, use_cache=not args.no_cache, progress=not args.quiet,
                       skip_unsuitable=args.skip_unsuitable, dtype=args.dtype, inference=args.inference,
                       data_root=args.data_url, label_fractions=tuple(args.label_fractions or ()),
                       label_repeats=args.label_repeats, label_jobs=args.label_jobs,
                       probe_jobs=args.probe_jobs)
    runner = Runner(config)
    results = runner.run()
    if not runner.ranks.is_main:  # under torchrun: this rank's embeddings are in the cache; rank 0 reports
        return 0
    if not args.quiet:
        for choice in runner.datasets_used:
            print(choice.describe(), file=sys.stderr)
    for result in results:
        print(format_score(result))
        print(f"  -> {result.path}")
    if not results:
        raise UsageError("nothing to run: no encoder/task pair fits the dataset",
                         "check `harness list tasks` and the dataset's labels (`harness data info`)")
    return 0
