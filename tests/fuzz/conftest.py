"""Hypothesis profiles for the fuzzing pass.

``ci`` (the default here) keeps every property to a few fixed (derandomized) examples, so
``pytest -q`` stays fast (well under a minute for the folder) and never fails on a new random draw.
``long`` is what ``scripts/fuzz.py`` runs for minutes (``HARNESS_FUZZ_EXAMPLES`` sets its size; the
script stops each property when its time is spent). ``deadline=None`` everywhere: a slow example
(pandas, zarr, a first import) is not a bug.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                                       HealthCheck.function_scoped_fixture]}
settings.register_profile("ci", max_examples=20, derandomize=True, **_COMMON)  # the same examples every run
settings.register_profile("long", max_examples=int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "5000")), **_COMMON)
if settings.get_current_profile_name() == "default":  # no --hypothesis-profile given
    settings.load_profile("ci")
