"""Render plugins/harness_ahms/weights/README.md (the model card) from the shipped weights' sidecars
and the committed leaderboard results, so no number in it is typed by hand.

    .venv/bin/python scripts/model_card.py
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

from tabulate import tabulate

ROOT = Path(__file__).resolve().parent.parent
WEIGHTS = ROOT / "plugins" / "harness_ahms" / "weights"
RESULTS = ROOT / "leaderboard" / "results"


def _dataset_args(card: dict) -> tuple[list[str], list[str]]:
    """Per training store: the `harness data build` line that recreates it (synthetic draws) and the
    `--dataset` argument naming it, so the card's command works on any machine."""
    builds, args = [], []
    for d in card.get("data") or []:
        path = Path(d.get("path", ""))
        build = {}
        if path.exists():
            import zarr

            build = dict(zarr.open_group(str(path), mode="r").attrs.get("build", {}))
        if "seed" in build and str(d["name"]).startswith("synthetic"):
            n, per = build.get("participants"), build.get("segments_per_participant", 4)
            local = f"stores/{d['name']}-{n}x{per}-seed{build['seed']}"  # size in the name: draws differ
            builds.append(f"harness data build {d['name']} --participants {n} "
                          f"--segments-per-participant {per} "
                          f"--seed {build['seed']} --output {local}")
            args.append(f"--dataset {local}")
        else:
            args.append(f"--dataset {d['name']}")
    return builds, args


def command_for(name: str, card: dict) -> str:
    cfg = card["training"]["config"]
    builds, datasets = _dataset_args(card)
    parts = [f"harness pretrain --encoder {name} {' '.join(datasets)}", f"--steps {cfg['steps']}",
             f"--batch-size {cfg['batch_size']}", f"--seed {cfg['seed']}"]
    if cfg.get("crop_seconds"):
        parts.append(f"--crop-seconds {cfg['crop_seconds']:g}")
    parts.append(f"--checkpoint-every {cfg['checkpoint_every']} --out pretrain/{name} "
                 f"--export plugins/harness_ahms/weights/{name}.safetensors")
    return "\n".join([*builds, " ".join(parts)])


def probe_rows(name: str) -> list[list[str]]:
    from harness.results import load_result

    rows = []
    for path in sorted(RESULTS.rglob(f"{name}/*.json")):
        r = load_result(path)
        s = r.main_score
        rows.append([r.dataset.name, r.task.name, r.task.metric.upper(),
                     f"{s.value:.3f} [{s.ci_low:.3f}, {s.ci_high:.3f}]",
                     "yes" if r.training_overlap else "no"])
    return rows


def _recipe(card: dict) -> tuple:
    """What must match for two variants' scores to be compared: steps, batch, crop and the exact data."""
    cfg = (card.get("training") or {}).get("config") or {}
    data = tuple((d.get("name"), d.get("revision")) for d in card.get("data") or [])
    return card.get("step"), cfg.get("batch_size"), cfg.get("crop_seconds"), data


def _describe_recipe(name: str, card: dict) -> str:
    step, batch, crop, _ = _recipe(card)
    data = " + ".join(f"{d['name']} ({d['participants']} participants, `{d['revision'][:8]}`)"
                      for d in card.get("data") or [])
    return f"{name}: {step} steps × batch {batch}, crop {crop} s on {data}"


def budget_notes(cards: dict[str, dict]) -> list[str]:
    """A warning per modality whose shipped variants were trained with different budgets or data."""
    by_modality: dict[str, dict[str, dict]] = {}
    for name, card in cards.items():
        by_modality.setdefault((card.get("input_spec") or {}).get("modality", "?"), {})[name] = card
    notes = []
    for modality, group in sorted(by_modality.items()):
        if len({_recipe(card) for card in group.values()}) > 1:
            listed = "; ".join(_describe_recipe(name, card) for name, card in sorted(group.items()))
            notes += [f"**Unequal training ({modality.upper()}):** {listed}. Compare only variants trained "
                      "with the same steps, batch, crop and data.", ""]
    return notes


def ecg_data_note(card: dict | None) -> list[str]:
    """Why the ECG weights train on many multi-segment synthetic participants beside CinC 2017 (counts
    read from the ahms-ecg sidecar)."""
    data = {d["name"]: d for d in (card or {}).get("data") or []}
    synthetic, cinc = data.get("synthetic-ecg"), data.get("cinc2017")
    if not (synthetic and cinc):
        return []
    return ["**ECG pretraining data.** PhysioNet/CinC 2017 gives one record per person, so its "
            "participant-level pairs are two windows of one record, the same thing the segment-level "
            f"ablation learns from. The ECG weights therefore train on {synthetic['participants']:,} synthetic "
            f"participants ({synthetic['segments'] // synthetic['participants']} segments each) next to "
            f"CinC's {cinc['segments']:,} records, so most of every batch has true different-segment "
            "positives. `docs/ablations.md` has the earlier, smaller recipe and what it scored.", ""]


def retrieval_line(retrieval: dict | None) -> str:
    if not retrieval:
        return "- participant retrieval on held-out participants: not recorded"
    return (f"- participant retrieval on held-out participants (nearest other segment is the same person): "
            f"{retrieval['top1']:.3f} top-1 (chance {retrieval['chance']:.3f}; {retrieval['queries']} queries)")


def main() -> int:
    lines = ["# AHMS encoder weights (model card)", "",
             "Generated by `scripts/model_card.py` from the weights' JSON sidecars and "
             "`leaderboard/results/`; do not edit by hand.", "",
             "Open weights of the 1-D EfficientNet encoders trained with the participant-contrastive "
             "objective of Abbaspourazad et al. (ICLR 2024): InfoNCE (τ = 0.04, same-participant "
             "negatives masked) against an EMA teacher (m = 0.99) plus KoLeo (λ = 0.1), the paper's "
             "augmentation cascade, Adam (lr 1e-3, wd 1e-5, step decay ×0.5). Encoder only, float16 "
             "safetensors; the projection head and teacher are not shipped. The method, its (≈) defaults and "
             "the paper's published numbers: `docs/method.md`.", "",
             "**Budget, honestly stated.** These weights were trained on a 2-core CPU in minutes, not on "
             "32 A100s for days: a few hundred steps of batch 64 on random 15-s crops of the 60-s (PPG) / "
             "30-s (ECG) windows (`--crop-seconds`; the encoder is fully convolutional and embeds full "
             "windows at evaluation). They show the method working on our data; they are not a "
             "reproduction of the paper's scale. Retrain on a GPU node with the same command and more "
             "`--steps`.", "",
             "**The segment-level ablation** (`*-segment`) pairs two augmentations of one input, as in the "
             "paper: under `--crop-seconds` both views are cut from the same window. (Weights shipped "
             "before 2026-11-24 cut the two views independently, which made the ablation a "
             "temporal-neighbour objective and hid the participant-level advantage.)", ""]
    cards = {sidecar.stem: json.loads(sidecar.read_text()) for sidecar in sorted(WEIGHTS.glob("*.json"))}
    lines += ecg_data_note(cards.get("ahms-ecg"))
    lines += budget_notes(cards)
    for name, card in cards.items():
        weights = WEIGHTS / f"{name}.safetensors"
        train = card.get("training") or {}
        rank = card.get("effective_rank") or {}
        data = ", ".join(f"{d['name']} (revision `{d['revision']}`, {d['participants']} participants, "
                         f"{d['segments']} segments)" for d in card.get("data") or [])
        obj = card.get("objective") or {}
        lines += [f"## {name}", "",
                  f"- weights: `{weights.name}` ({weights.stat().st_size / 1e6:.1f} MB, sha256 of the "
                  f"tensors `{card['state_sha256'][:16]}…`)",
                  f"- objective: pair policy `{obj.get('pair_policy')}`, losses "
                  f"{', '.join(obj.get('losses') or {})}, EMA momentum {obj.get('momentum')}",
                  f"- data: {data}",
                  f"- steps: {card.get('step')} × batch {train.get('config', {}).get('batch_size')}, seed "
                  f"{card.get('seed')}, crop {train.get('config', {}).get('crop_seconds')} s",
                  f"- wall time: {train.get('wall_time_s', 0) / 60:.1f} min on {train.get('device')} "
                  f"(world size {train.get('world_size')}; {platform.machine()} CPU, 2 cores)",
                  f"- smooth effective rank on held-out participants' embeddings: "
                  f"{rank.get('value', float('nan')):.1f} uncentered"
                  + (f", {rank['centered']:.1f} centered" if "centered" in rank else "")
                  + f" (of {rank.get('dim')}; {rank.get('segments')} segments)",
                  retrieval_line(rank.get("participant_retrieval")),
                  f"- versions: {json.dumps(card.get('versions'))}; git commit `{card.get('git_commit')}`",
                  "", "Reproduce:", "", "```bash", command_for(name, card), "```", ""]
        rows = probe_rows(name)
        if rows:
            lines += ["Probe scores (from `leaderboard/results/`):", "",
                      tabulate(rows, headers=["dataset", "task", "metric", "score [95 % CI]", "seen in training"],
                               tablefmt="github"), ""]
    (WEIGHTS / "README.md").write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {WEIGHTS / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
