"""One module per ``harness`` subcommand; each exposes ``register(subparsers)``."""


def split_names(value: str) -> list[str]:
    """``"a,b, c"`` -> ``["a", "b", "c"]`` (comma-separated lists on the command line)."""
    return [item.strip() for item in value.split(",") if item.strip()]
