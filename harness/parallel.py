"""Pure work items in worker processes: the one way the harness fits probes in parallel.

Each item is a call of a module-level function on picklable arguments whose result depends on those
arguments alone, so any number of processes gives the result of one. Workers are joblib's loky processes
with one BLAS thread each (``jobs`` workers on ``jobs`` cores, not ``jobs`` x cores threads); large NumPy
arguments reach them memory-mapped, not copied per item. ``jobs <= 1`` (or a single item) runs in this
process, with no pool to start, and also with one BLAS thread: a multi-threaded BLAS sums in another order,
and lbfgs fits amplify that into a different chosen C on near ties (measured: CinC 2017 ahms-ecg, one fold
chose C=100 with 2 threads, 1000 with 1; AUROC 0.853 vs 0.851). Pinning makes every probe score a function
of its inputs alone, whatever the core count of the machine; single-threaded lbfgs is also faster on these
sizes (the same probe: 275 s with 2 BLAS threads, 39 s in two 1-thread processes).
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
        from threadpoolctl import threadpool_limits

        for item in items:
            with threadpool_limits(limits=1):  # as in a worker: the same BLAS path, the same numbers
                result = func(*item)
            yield result
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", n_jobs=min(jobs, len(items)), inner_max_num_threads=1):
        yield from Parallel(return_as="generator")(delayed(func)(*item) for item in items)
