"""Records read in worker processes, results consumed in input order with a bounded look-ahead, so
``--jobs N`` gives the same store as ``--jobs 1`` and memory holds at most ``2 N`` records at once."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from harness.errors import HarnessError

T = TypeVar("T")
R = TypeVar("R")


class Workers:
    """``with Workers(jobs) as w: for r in w.map(fn, items)``; ``jobs=1`` runs in this process."""

    def __init__(self, jobs: int) -> None:
        self.jobs = int(jobs)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.jobs > 1:
            # spawn, not fork: the store writer's zarr event-loop thread must not be forked.
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        if self._pool is None:
            yield from map(fn, items)
            return
        pending: deque[Future[tuple[Any, ...]]] = deque()
        for item in items:
            pending.append(self._pool.submit(_call, fn, item))
            if len(pending) >= 2 * self.jobs:
                yield _unwrap(pending.popleft().result())
        while pending:
            yield _unwrap(pending.popleft().result())


def _call(fn: Callable[[Any], Any], item: Any) -> tuple[Any, ...]:
    """Run in a worker: a HarnessError comes back as data, so its problem and fix survive pickling."""
    try:
        return ("ok", fn(item))
    except HarnessError as exc:
        return ("error", type(exc), exc.problem, exc.fix)


def _unwrap(outcome: tuple[Any, ...]) -> Any:
    if outcome[0] == "error":
        raise outcome[1](outcome[2], outcome[3])
    return outcome[1]
