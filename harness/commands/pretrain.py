"""``harness pretrain``: participant-contrastive pretraining of an encoder that declares a recipe.

Runs on one process, or under ``torchrun --nproc_per_node N -m harness pretrain ...`` (DDP: gloo on
CPU, nccl on CUDA; ``--batch-size`` is the global batch, split over the ranks).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness import options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pretrain", help="pretrain an encoder that declares a recipe on signal stores",
                       description="Self-supervised pretraining with the encoder's recipe (pairs, "
                                   "augmentations, losses); writes a resumable safetensors checkpoint and "
                                   "an exported encoder.")
    p.add_argument("--encoder", required=True, help="an encoder whose spec declares a pretraining recipe")
    p.add_argument("--dataset", action="append", required=True,
                   help="dataset name or store path (repeatable: stores of one modality are mixed)")
    p.add_argument("--steps", type=options.STEPS, default=1000)
    p.add_argument("--batch-size", type=options.PRETRAIN_BATCH, default=256, help="global batch (split over DDP ranks)")
    p.add_argument("--lr", type=options.LEARNING_RATE, default=None, help="Adam learning rate (recipe default 1e-3)")
    p.add_argument("--weight-decay", type=options.WEIGHT_DECAY, default=None)
    p.add_argument("--lr-decay-steps", type=options.STEP_LIST, default=None,
                   help="comma-separated steps at which the lr is halved (default: 50%% and 75%% of --steps)")
    p.add_argument("--momentum", type=options.MOMENTUM, default=None, help="EMA teacher momentum (recipe default 0.99)")
    p.add_argument("--seed", type=options.SEED, default=0, help=f"0..{options.SEED_MAX}")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--amp", default="auto", choices=("auto", "bf16", "fp16", "off"),
                   help="mixed precision on CUDA (ignored on CPU)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default ./pretrain/ENCODER)")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument("--checkpoint-every", type=options.STEPS, default=500)
    p.add_argument("--workers", type=options.WORKERS, default=0,
                   help="DataLoader worker processes (spawned; default 0: decode threads in this process)")
    p.add_argument("--loader-threads", type=options.LOADER_THREADS, default=None,
                   help="decode/gather threads per loader process (default: its share of the cores, at most 4)")
    p.add_argument("--no-prefetch", dest="prefetch", action="store_false",
                   help="do not read the next round of chunks while the current one trains")
    p.add_argument("--crop-seconds", type=options.SECONDS, default=None,
                   help="train on random crops of this many seconds (CPU budget; evaluation uses full windows)")
    p.add_argument("--pair-policy", default=None,
                   help="a registered pair policy (default: the recipe's; `harness list pair-policies`)")
    p.add_argument("--drop-loss", action="append", default=[], metavar="NAME",
                   help="leave one of the recipe's losses out (repeatable; an ablation)")
    p.add_argument("--model-config", "--config", dest="model_config", default=None, metavar="NAME",
                   help="one of the recipe's model configs (e.g. 'small'; default: the recipe's default)")
    p.add_argument("--buffer-chunks", type=options.CHUNKS, default=None, help="chunks per shuffle buffer")
    p.add_argument("--holdout-fraction", type=options.FRACTION, default=0.1,
                   help="participants held out (by id hash) for the effective-rank check")
    p.add_argument("--export", type=Path, default=None,
                   help="also write the encoder-only float16 weights here (e.g. weights/NAME.safetensors)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from harness.pretrain.checkpoint import export_encoder
    from harness.pretrain.config import PretrainConfig
    from harness.pretrain.trainer import pretrain

    out = args.out or Path.cwd() / "pretrain" / args.encoder
    config = PretrainConfig(
        encoder=args.encoder, datasets=list(args.dataset), out=str(out), steps=args.steps,
        batch_size=args.batch_size, lr=args.lr, weight_decay=args.weight_decay,
        lr_decay_steps=args.lr_decay_steps, momentum=args.momentum, seed=args.seed,
        device=args.device, amp=args.amp, checkpoint_every=args.checkpoint_every, workers=args.workers,
        pair_policy=args.pair_policy, drop_losses=list(args.drop_loss), model_config=args.model_config,
        buffer_chunks=args.buffer_chunks, holdout_fraction=args.holdout_fraction, progress=not args.quiet,
        crop_seconds=args.crop_seconds, loader_threads=args.loader_threads, prefetch=args.prefetch,
    )
    summary = pretrain(config, resume=args.resume)
    if "encoder" not in summary:  # not the main rank
        return 0
    rank = (summary.get("metrics") or {}).get("effective_rank") or {}
    loader = summary.get("loader", {})
    print(f"pretrained {args.encoder} for {summary['step']} steps -> {summary['checkpoint']}")
    if rank:
        print(f"  effective rank on {rank['segments']} held-out segments: {rank['value']:.1f} "
              f"(of {rank['dim']})")
        retrieval = rank.get("participant_retrieval")
        if retrieval:
            print(f"  participant retrieval (top-1, held-out): {retrieval['top1']:.3f} "
                  f"(chance {retrieval['chance']:.3f}, {retrieval['queries']} queries)")
    if loader.get("mean_chunks_per_batch") is not None:
        print(f"  batches touched {loader['mean_chunks_per_batch']:.1f} chunks and "
              f"{loader['mean_participants_per_batch']:.1f} participants on average")
    print(f"  encoder weights: {summary['encoder']}")
    if args.export:
        path = export_encoder(summary["checkpoint"], args.export)
        print(f"  exported: {path} (+ {path.with_suffix('.json').name})")
    return 0
