"""Open a release's pickle without letting it run code.

``pickle.load`` calls whatever callable the file names, so a tampered download could run anything.
This unpickler resolves only the globals that NumPy array pickles need (array reconstruction, dtypes,
scalars); any other global -- ``os.system``, ``builtins.eval``, a class of some package -- is refused
before it is looked up, and the file is rejected as a :class:`~harness.DataError`.
"""

from __future__ import annotations

import importlib
import io
import pickle
from typing import Any

from harness import DataError

#: (module, name) the NumPy pickles of Python 2 and 3 reference; ``numpy.core`` became ``numpy._core``
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    """``_codecs.encode`` as Python 3's protocol-2 pickles use it for bytes (latin-1 only)."""
    if encoding.replace("-", "").lower() != "latin1":
        raise pickle.UnpicklingError(f"_codecs.encode with codec {encoding!r} is not allowed")
    return text.encode("latin1")


class _NumpyOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed")
        for candidate in (module.replace("numpy.core", "numpy._core"), module):
            try:
                return getattr(importlib.import_module(candidate), name)
            except (ImportError, AttributeError):
                continue
        raise pickle.UnpicklingError(f"global {module}.{name} is not available")


def load_numpy_pickle(data: bytes, origin: str) -> Any:
    """The object in ``data`` (Python 2 pickles read as latin-1), built from NumPy arrays and plain types."""
    try:
        return _NumpyOnly(io.BytesIO(data), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise DataError(f"{origin} is not a plain NumPy pickle ({exc}); it was not loaded",
                        "download the official release again; a file that names other code is refused") from exc
    except (EOFError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise DataError(f"{origin} is damaged or not a pickle ({type(exc).__name__}: {exc})",
                        "download the official release again") from exc
