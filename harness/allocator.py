"""Keep freed memory in the process while torch encoders run (or train) on the CPU (glibc ``mallopt``).

A CPU forward allocates and frees the same large activation buffers every batch. glibc serves blocks
above its mmap threshold (128 KiB, growing to at most 32 MiB) with fresh ``mmap`` calls and gives freed
heap back to the kernel above its trim threshold, so every batch page-faults its activations in again:
measured on the 2-core CI machine, the kernel time was as large as the compute (``ahms-ppg`` eager
float32: 24.5 s system + 24.7 s user; 48.5 → 93–104 segments/s with the settings below; the default
traced path 119 → 165–183; CPU pretraining steps 1.6x faster). PyTorch's CPU tuning guide makes the
same point with jemalloc/tcmalloc; ``mallopt`` gets it without a preloaded library.

The settings raise the mmap threshold to its maximum (32 MiB), the trim threshold to 1 GiB and the top
pad to 64 MiB: freed blocks stay for the next batch. The cost is memory the process keeps after its
peak instead of returning it; ``HARNESS_KEEP_FREED_MEMORY=0`` turns it off. Numbers do not change
(the allocator never touches values). On a C library other than glibc nothing is changed, and the
result records which it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

from harness.settings import keep_freed_memory

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # <malloc.h>
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest (HEAP_MAX_SIZE / 2 on 64-bit)
TRIM_THRESHOLD = 1024 * 1024 * 1024
TOP_PAD = 64 * 1024 * 1024


@functools.cache
def keep_freed_memory_for_torch() -> str:
    """Apply the settings once per process; returns what was done (one phrase, recorded in results)."""
    if not keep_freed_memory():
        return "C allocator as it is (HARNESS_KEEP_FREED_MEMORY=0)"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "C allocator as it is (no glibc mallopt here)"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = [mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD), mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD),
               mallopt(M_TOP_PAD, TOP_PAD)]
    if not all(applied):
        return "C allocator as it is (glibc refused mallopt)"
    return "glibc keeps freed memory (mmap threshold 32 MiB, trim threshold 1 GiB, top pad 64 MiB)"


def allocator_for(device: str, uses_torch: bool) -> str:
    """The allocator settings an encoder runs with: kept freed memory for a torch encoder on the CPU (applied
    here, once per process), else whatever this process already has."""
    if uses_torch and device == "cpu":
        return keep_freed_memory_for_torch()
    if keep_freed_memory_for_torch.cache_info().currsize:  # applied earlier in this process: it still holds
        return keep_freed_memory_for_torch()
    return "C allocator as it is (" + ("numpy-only encoder" if not uses_torch else f"encoder on {device}") + ")"


