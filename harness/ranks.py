"""The processes of one ``torchrun`` launch, as the embedding run and pretraining see them.

``torchrun --nproc_per_node N -m harness run ...`` starts N copies of the same command; each reads its
place from the environment (:func:`from_env`). :class:`Ranks` is what the copies need to work as one:
rank 0 decides and tells the others (:meth:`Ranks.decide`), every rank does its share and they agree on
the outcome (:meth:`Ranks.agree`). A one-line error on any rank becomes the same one-line error on
every rank, so a bad input stops the whole launch with exit 2 instead of leaving peers waiting.

A single process is a world of one (:data:`SOLO`): the same code path with no messages, and torch is
not imported. Under torchrun the messages are small Python objects exchanged over gloo (TCP), whatever
device the encoder runs on: they are decisions and outcomes, never tensors.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.errors import HarnessError, UsageError

T = TypeVar("T")


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in its launch: ``rank`` of ``world_size``, ``local_rank`` on its node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env() -> DistInfo:
    """The launch geometry torchrun put in the environment (single process when absent)."""
    try:
        world = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError as exc:
        raise UsageError(f"RANK/WORLD_SIZE/LOCAL_RANK are not integers ({exc})",
                         "launch with torchrun or unset them") from exc
    if world < 1 or not 0 <= rank < world:
        raise UsageError(f"RANK={rank} does not fit WORLD_SIZE={world}", "launch with torchrun or unset them")
    return DistInfo(rank, world, local)


@dataclass(frozen=True)
class _Outcome:
    """What one rank sends: a value, or the one-line error it raised."""

    value: Any = None
    error: HarnessError | None = None


class Ranks:
    """The ranks of this launch and the two exchanges the embedding run needs (see the module doc)."""

    def __init__(self, info: DistInfo) -> None:
        self.info = info
        self.joined_here = False

    @property
    def rank(self) -> int:
        return self.info.rank

    @property
    def world_size(self) -> int:
        return self.info.world_size

    @property
    def enabled(self) -> bool:
        return self.info.enabled

    @property
    def is_main(self) -> bool:
        return self.info.is_main

    def share(self, rows: list[T]) -> list[T]:
        """This rank's share of ``rows`` (the same list on every rank): every ``world_size``-th from ``rank``."""
        return rows[self.rank::self.world_size]

    def join(self) -> Ranks:
        """Join the launch's process group (gloo) unless already in one; a no-op for a single process."""
        if not self.enabled:
            return self
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group(backend="gloo", rank=self.rank, world_size=self.world_size)
            self.joined_here = True
        return self

    def leave(self) -> None:
        """Leave the group together, if this object joined it (after a successful run only: see
        :func:`harness.pretrain.distributed.shutdown` for why a failed rank must not wait)."""
        if self.joined_here:
            import torch.distributed as dist

            dist.barrier()
            dist.destroy_process_group()
            self.joined_here = False

    def decide(self, choose: Callable[[], T]) -> T:
        """``choose()`` run on rank 0, its value (or its one-line error) handed to every rank."""
        if not self.enabled:
            return choose()
        outcome = _run(choose) if self.is_main else None
        import torch.distributed as dist

        box: list[Any] = [outcome]
        dist.broadcast_object_list(box, src=0)
        return _unwrap(box[0])

    def agree(self, work: Callable[[], T]) -> T:
        """``work()`` run on every rank, then a meeting: if any rank raised a one-line error, every rank
        raises the first one (lowest rank); else each rank gets its own value back."""
        if not self.enabled:
            return work()
        mine = _run(work)
        import torch.distributed as dist

        everyone: list[Any] = [None] * self.world_size
        dist.all_gather_object(everyone, _Outcome(error=mine.error))  # values stay on their rank
        for outcome in everyone:
            if outcome.error is not None:
                raise outcome.error
        return mine.value


def _run(fn: Callable[[], Any]) -> _Outcome:
    try:
        return _Outcome(value=fn())
    except HarnessError as exc:
        return _Outcome(error=exc)


def _unwrap(outcome: _Outcome) -> Any:
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


SOLO = Ranks(DistInfo())
