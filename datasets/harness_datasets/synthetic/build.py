"""Stream a synthetic cohort into a store, one participant block at a time.

Memory stays at one block (64 participants) whatever the cohort size. Every block is generated whole
and then cut, so participant *i* gets the same signals whether the cohort has 100 or 100,000 people.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from harness import BuildRequest, UsageError, write_text
from harness_datasets.synthetic import design, ecg, ppg
from harness_datasets.synthetic.cohort import (
    BLOCK_PARTICIPANTS,
    LABELS,
    block_rng,
    check_args,
    id_width,
    participant_ids,
    sample_block,
)
from harness_datasets.synthetic.signals import SegmentBatch
from harness_datasets.synthetic.version import GENERATOR_VERSION

DEFAULT_PARTICIPANTS = design.DEFAULT_PARTICIPANTS
DEFAULT_SEGMENTS = 4
OPTIONS = ("segments_per_participant", "latents")
GENERATORS = {"ppg": ppg, "ecg": ecg}
LABEL_KINDS = {"age": "numeric", "bmi": "numeric", "sex": "binary", "hypertension": "binary",
               "diabetes": "binary", "af": "binary"}


def iter_blocks(n_participants: int, seed: int, modality: str,
                per_participant: int = DEFAULT_SEGMENTS) -> Iterator[tuple[pd.DataFrame, SegmentBatch]]:
    """Yield ``(cohort rows, segments)`` block by block; ids are numbered over the whole cohort."""
    check_args(n_participants, seed, modality)
    if int(per_participant) < 1:
        raise UsageError(f"segments_per_participant is {per_participant}",
                         "use at least 1 (2+ for pretraining)")
    n = int(n_participants)
    width = id_width(n)
    generator = GENERATORS[modality]
    for block in range(-(-n // BLOCK_PARTICIPANTS)):
        cohort = sample_block(seed, modality, block)
        batch = generator.synthesize(cohort, int(per_participant), block_rng(seed, modality, block, 1))
        keep_rows = min(BLOCK_PARTICIPANTS, n - block * BLOCK_PARTICIPANTS)
        cohort = cohort.iloc[:keep_rows].copy()
        cohort["participant_id"] = participant_ids(block * BLOCK_PARTICIPANTS, keep_rows, width)
        if keep_rows < BLOCK_PARTICIPANTS:
            keep = batch.participant < keep_rows
            batch = SegmentBatch(batch.signal[keep], batch.participant[keep], batch.t_start[keep],
                                 batch.beat_times[keep], batch.ectopic[keep], batch.segment_hr[keep])
        yield cohort, batch


def _options(request: BuildRequest) -> tuple[int, Path | None]:
    unknown = sorted(set(request.options) - set(OPTIONS))
    if unknown:
        raise UsageError(f"unknown option(s) {', '.join(unknown)} for dataset '{request.name}'",
                         f"use only {', '.join(OPTIONS)}")
    per = request.options.get("segments_per_participant")
    per = DEFAULT_SEGMENTS if per is None else per
    if not isinstance(per, int | np.integer) or per < 1:
        raise UsageError(f"segments_per_participant is {per!r}", "pass a whole number >= 1 (default 4)")
    latents = request.options.get("latents")
    return int(per), (Path(latents) if latents else None)


def build_modality(request: BuildRequest, modality: str) -> None:
    """Write ``request.participants`` synthetic participants of ``modality`` through the request's writer."""
    per, latents_path = _options(request)
    n = int(request.participants if request.participants is not None else DEFAULT_PARTICIPANTS)
    check_args(n, request.seed, modality)
    gen = GENERATORS[modality]
    labels = LABELS[modality]
    writer = request.writer_factory(
        dataset=request.name, modality=modality, fs=gen.FS, channel_names=list(gen.CHANNEL_NAMES),
        samples=gen.SAMPLES, units=gen.UNITS, source="synthetic", license="CC0-1.0",
        build={"participants": n, "segments_per_participant": per, "seed": int(request.seed),
               "generator": "harness_datasets.synthetic", "generator_version": GENERATOR_VERSION},
    )
    tables: list[pd.DataFrame] = []
    latent_tables: list[pd.DataFrame] = []
    with writer, tqdm(total=n, unit="participant", desc=f"building {request.name}",
                      disable=not request.progress) as bar:
        for cohort, batch in iter_blocks(n, request.seed, modality, per):
            ids = cohort["participant_id"].to_numpy()
            writer.append(batch.signal, ids[batch.participant], t_start=batch.t_start)
            tables.append(cohort[["participant_id", *labels]])
            if latents_path is not None:
                latent_tables.append(cohort)
            bar.update(len(cohort))
        table = pd.concat(tables, ignore_index=True)
        writer.set_participants({c: table[c].to_numpy() for c in table.columns},
                                kinds={k: LABEL_KINDS[k] for k in labels})
    if latents_path is not None:
        write_text(latents_path, pd.concat(latent_tables, ignore_index=True).to_csv(index=False))


def build_ppg(request: BuildRequest) -> None:
    """Builder of ``synthetic-ppg``."""
    build_modality(request, "ppg")


def build_ecg(request: BuildRequest) -> None:
    """Builder of ``synthetic-ecg``."""
    build_modality(request, "ecg")
