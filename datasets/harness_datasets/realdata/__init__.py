"""Built-in real-recording datasets: PPG-BP, PTB-XL and PhysioNet/CinC 2017.

Each builder reads the official release (archive or extracted folder) and streams it into one store.
Dataset cards with URLs, checksums, label schemas and known quirks ship with this package in
``cards/<name>.toml``; each spec names its card, so ``harness data fetch NAME`` finds it through the registry.
"""

from harness import hookimpl

__version__ = "0.1.0"


def card_path(name: str) -> str:
    """The dataset card shipped inside this package (package data, so wheel installs carry it)."""
    from pathlib import Path

    return str(Path(__file__).with_name("cards") / f"{name}.toml")


@hookimpl
def harness_register_datasets(registry):
    from harness_datasets.realdata import cinc2017, ppgbp, ptbxl

    for module in (ppgbp, ptbxl, cinc2017):
        registry.add(module.SPEC)
