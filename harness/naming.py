"""What a dataset name is, and when a ``--dataset`` value is a path instead: one rule for every command.

A value is a *path* only when it looks like one: it holds a path separator, ends in ``.zarr``, is a
URL (``scheme://``) or starts with ``.`` (``.``, ``..``, ``./x``). Anything else is a *name*: a
registered dataset or a store under the store root. So a folder in the working directory that happens
to carry a dataset's name never shadows that dataset; ``./NAME`` opens the folder.

Names that a command creates (``data import --name``) follow :data:`NAME_PATTERN`, so every stored
name is also unambiguous as a name.
"""

from __future__ import annotations

import os
import re

MAX_NAME_LENGTH = 64
NAME_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME_LENGTH - 1}}}")
NAME_RULE = (f"1 to {MAX_NAME_LENGTH} letters, digits, '-' or '_', starting with a letter or digit "
             "(it names the store folder)")


def looks_like_path(text: str) -> bool:
    """Whether ``text`` is meant as a path or URL rather than a dataset name."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (any(sep in text for sep in separators) or text.endswith(".zarr") or "://" in text
            or text.startswith("."))


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a store (``None`` when it can)."""
    if len(name) > MAX_NAME_LENGTH:
        return f"is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
    if NAME_PATTERN.fullmatch(name) is None:
        return "is not a usable dataset name"
    return None
