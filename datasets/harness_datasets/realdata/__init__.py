"""Built-in real-recording datasets: PPG-BP, PTB-XL, PhysioNet/CinC 2017, PPG-DaLiA and BUT PPG.

Each builder reads the official release (archive or extracted folder) and streams it into one store.
Dataset cards with URLs, checksums, label schemas and known quirks ship with this package in
``cards/<name>.toml``; each spec names its card, so ``harness data fetch NAME`` finds it through the registry.
"""

from harness import hookimpl

__version__ = "0.1.0"


@hookimpl
def harness_register_datasets(registry):
    from harness_datasets.realdata.specs import SPECS

    for spec in SPECS:
        registry.add(spec)
