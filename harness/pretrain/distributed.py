"""Process-group setup for ``torchrun``: read RANK/WORLD_SIZE/LOCAL_RANK, gloo on CPU, nccl on CUDA."""

from __future__ import annotations

import torch
import torch.distributed as dist

from harness import provenance
from harness.ranks import DistInfo, from_env

__all__ = ["DistInfo", "barrier", "broadcast_module_state", "from_env", "init", "resolve_device", "shutdown"]


def resolve_device(requested: str, info: DistInfo) -> torch.device:
    """:func:`harness.provenance.resolve_device`'s choice (``auto`` picks CUDA when present; CUDA without
    a GPU is a usage error); under torchrun a bare ``cuda`` becomes this rank's cuda:LOCAL_RANK."""
    device = torch.device(provenance.resolve_device(requested))
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", info.local_rank % torch.cuda.device_count())
    return device


def init(info: DistInfo, device: torch.device) -> None:
    """Join the process group (no-op for a single process or when already joined)."""
    if not info.enabled or dist.is_initialized():
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)


def shutdown() -> None:
    """Leave the process group together: every rank waits at a barrier, then destroys it.

    Tearing the group down while a peer is still working, or after it has exited, can hang a rank in
    gloo's teardown (``~ProcessGroupGloo`` joining its threads), and torchrun then waits for it forever
    (pytorch/pytorch#75097; a barrier first is the documented remedy). Callers drop every other
    reference to the group first (the DDP reducer: ``Trainer.release_process_group``), so the group is
    destroyed here, on every rank, while all are alive. Called only after a successful run: a failed
    rank must not wait for the others, it exits and torchrun stops the rest.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def barrier(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.barrier()


def broadcast_module_state(module: torch.nn.Module, info: DistInfo) -> None:
    """Make every rank's parameters and buffers equal to rank 0's (for identical checkpoints)."""
    if not info.enabled or not dist.is_initialized():
        return
    with torch.no_grad():
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)
