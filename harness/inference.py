"""Inference precision chosen per machine (``--dtype auto``).

bf16 autocast only pays where the hardware runs bf16 natively: on a CPU without bf16 instructions it is
emulated and measured 3.5x slower than float32 for ``ahms-ppg`` (issue 14). ``auto`` therefore picks
bfloat16 only on a CUDA device that supports it or a CPU whose flags name native bf16 matrix/vector
instructions (``amx_bf16`` or ``avx512_bf16``) and whose oneDNN build can use them; everywhere else
float32. The precision actually used, what was asked and why are recorded in every result, and the
used dtype (never ``auto``) goes into the embedding cache key, so two machines that resolve ``auto``
differently never share cached embeddings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UsageError

DTYPES = ("float32", "bfloat16", "float16")
CHOICES = ("auto", *DTYPES)
NATIVE_CPU_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


@dataclass(frozen=True)
class Precision:
    """The inference dtype used, the one asked for, and why (recorded in results)."""

    dtype: str
    requested: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"dtype": self.dtype, "dtype_requested": self.requested, "dtype_reason": self.reason}


def cpu_flags(path: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo is missing or unreadable, e.g. macOS)."""
    try:
        text = path.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            return frozenset(value.split())
    return frozenset()


def _onednn_bf16() -> bool:
    """Can this torch build's oneDNN run bf16 kernels on this CPU?"""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _cuda_bf16() -> bool:
    import torch

    return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())


def native_bf16(device: str, *, flags: frozenset[str] | None = None,
                onednn: Callable[[], bool] = _onednn_bf16, cuda: Callable[[], bool] = _cuda_bf16) -> tuple[bool, str]:
    """Does ``device`` run bf16 natively, and the evidence (one phrase)."""
    if device.startswith("cuda"):
        return (True, "CUDA device supports bf16") if cuda() else (False, "CUDA device lacks bf16 support")
    flags = cpu_flags() if flags is None else flags
    native = [f for f in NATIVE_CPU_BF16_FLAGS if f in flags]
    if not native:
        return False, f"CPU has no native bf16 instructions ({' / '.join(NATIVE_CPU_BF16_FLAGS)} absent)"
    if not onednn():
        return False, f"CPU has {', '.join(native)} but this torch build's oneDNN cannot use bf16"
    return True, f"CPU has {', '.join(native)} and oneDNN bf16"


def resolve_dtype(requested: str, device: str, *, uses_torch: bool = True,
                  flags: frozenset[str] | None = None, onednn: Callable[[], bool] = _onednn_bf16,
                  cuda: Callable[[], bool] = _cuda_bf16) -> Precision:
    """The dtype to run: ``requested`` unless it is ``auto``, which asks :func:`native_bf16`."""
    if requested not in CHOICES:
        raise UsageError(f"dtype '{requested}' is not one of {', '.join(CHOICES)}",
                         "pass --dtype auto, float32, bfloat16 or float16")
    if requested != "auto":
        return Precision(requested, requested, "asked for")
    if not uses_torch:
        return Precision("float32", requested, "numpy-only encoder: precision does not apply")
    native, why = native_bf16(device, flags=flags, onednn=onednn, cuda=cuda)
    return Precision("bfloat16" if native else "float32", requested, why)


#: ``--inference``: how a torch encoder's forward runs. ``trace``: TorchScript trace + freeze, which lets
#: oneDNN fuse convolution, batch norm and activation (measured 1.4-1.8x eager float32 on a 2-core CPU,
#: equal to eager within 1e-6 relative); ``eager``: the module as written; ``auto``: trace where the
#: encoder offers it, else eager. torch 2.13 marks TorchScript deprecated: where a later torch drops it,
#: tracing fails and the encoder falls back to eager (one line, same embeddings).
INFERENCE_PATHS = ("eager", "trace")
INFERENCE_CHOICES = ("auto", *INFERENCE_PATHS)


@dataclass(frozen=True)
class InferencePath:
    """The forward path used, the one asked for, and why (recorded in results and the cache key).
    ``fell_back``: a trace was asked of an encoder that offers one and it ran eager instead (the runner says
    so in one line; not recorded, the reason already is)."""

    path: str
    requested: str
    reason: str
    fell_back: bool = False

    def to_dict(self) -> dict[str, str]:
        return {"inference_path": self.path, "inference_path_requested": self.requested,
                "inference_path_reason": self.reason}


def check_inference_path(requested: str) -> str:
    if requested not in INFERENCE_CHOICES:
        raise UsageError(f"inference path '{requested}' is not one of {', '.join(INFERENCE_CHOICES)}",
                         "pass --inference auto, eager or trace")
    return requested


def choose_inference_path(encoder: object, requested: str, dtype: str) -> InferencePath:
    """Ask an encoder that offers ``use_inference_path`` (optional in :class:`harness.Encoder`) to switch
    its forward; encoders without it (numpy baselines, third-party models) run as they are."""
    check_inference_path(requested)
    use = getattr(encoder, "use_inference_path", None)
    if use is None:
        reason = "encoder runs its own forward" if requested == "auto" else \
            f"encoder runs its own forward ('{requested}' not offered)"
        return InferencePath("eager", requested, reason)
    wanted = "trace" if requested == "auto" else requested
    used, reason = use(wanted, dtype)
    return InferencePath(used, requested, reason, fell_back=wanted == "trace" and used != "trace")


def trace_module(module: Any, example: Any, *, device_type: str,
                 dtype: str) -> tuple[Callable[[Any], Any], str, str]:
    """TorchScript trace + freeze of ``module`` (eval mode) for ``example``-shaped input, under autocast when
    ``dtype`` is not float32 (the casts are baked into the frozen graph). Returns the forward, the path
    (``trace`` or ``eager``) and why; where tracing fails (data-dependent control flow, a build without
    the JIT) the module's own forward with the failure as the reason: the embeddings are the same."""
    import contextlib
    import warnings

    import torch

    autocast: contextlib.AbstractContextManager[Any] = contextlib.nullcontext() if dtype == "float32" else \
        torch.autocast(device_type, dtype=getattr(torch, dtype), cache_enabled=False)
    try:
        with torch.no_grad(), autocast, warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch 2.13 deprecates TorchScript; see above
            frozen = torch.jit.freeze(torch.jit.trace(module.eval(), example, check_trace=False))
            frozen(example)  # the first two calls optimise the graph for this shape
            frozen(example)
    except Exception as exc:  # any failure: fall back, same results
        first = (str(exc).splitlines() or [""])[0][:120]
        return module, "eager", f"trace failed ({type(exc).__name__}: {first}); eager used, same embeddings"
    return frozen, "trace", "TorchScript trace + freeze"
