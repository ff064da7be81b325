"""Pure work items in worker processes: the one way the harness fits probes in parallel.

Each item is a call of a module-level function on picklable arguments whose result depends on those
arguments alone, so any number of processes gives the result of one. Workers are joblib's loky processes
with one BLAS thread each (``jobs`` workers on ``jobs`` cores, not ``jobs`` x cores threads); large NumPy
arguments reach them memory-mapped, not copied per item. ``jobs <= 1`` (or a single item) runs in this
process, with no pool to start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def in_processes(func: Callable[..., T], items: Sequence[tuple[Any, ...]], jobs: int) -> list[T]:
    """``[func(*item) for item in items]``, in ``jobs`` processes when that can help; order kept."""
    return list(each_in_processes(func, items, jobs))


def each_in_processes(func: Callable[..., T], items: Sequence[tuple[Any, ...]], jobs: int) -> Iterator[T]:
    """The results of :func:`in_processes` one by one, in order, as they are ready (so a caller can write
    each before the next is done, and an interruption loses only what was not yet returned)."""
    if jobs <= 1 or len(items) <= 1:
        yield from (func(*item) for item in items)
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", n_jobs=min(jobs, len(items)), inner_max_num_threads=1):
        yield from Parallel(return_as="generator")(delayed(func)(*item) for item in items)
