"""biosignal-harness: an open benchmark harness for wearable biosignal foundation models.

The core defines contracts (pluggy hook specs) and machinery (signal store, input adapter, probes,
results, leaderboard); it knows no particular model or dataset. Built-in models, tasks and datasets
live in ``plugins/`` and register through the same entry points a third-party package uses.
"""

from harness.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
