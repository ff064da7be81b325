"""Run by test_ddp under ``torch.distributed.run``: a tiny DDP pretraining job that saves each rank's
weights, so the test can check every rank ends identical. Usage: ddp_job.py STORE OUT."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.pretrain import PretrainConfig
from harness.pretrain.trainer import Trainer
from harness.store.reader import open_store
from tests.pretrain.conftest import make_host


def main(store_path: str, out: str) -> None:
    torch.set_num_threads(1)
    config = PretrainConfig(encoder="tiny-ppg", datasets=[store_path], out=out, steps=4, batch_size=16,
                            checkpoint_every=2, progress=False)
    trainer = Trainer(config, stores=[open_store(store_path)], host=make_host())
    trainer.run()
    state = {f"online.{k}": v for k, v in trainer.online.state_dict().items()}
    state.update({f"teacher.{k}": v for k, v in trainer.teacher.state_dict().items()})
    target = Path(out) / f"rank{os.environ['RANK']}.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(target))
    from harness.pretrain import distributed

    trainer.release_process_group()  # as harness.pretrain.trainer.pretrain does, before leaving the group
    distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
