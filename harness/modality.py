"""What a modality name is. Modalities are not a closed list: a plugin adds one by declaring it in its specs.

Which modalities exist is the union of what registered specs declare (:func:`harness.plugins.known_modalities`);
this leaf module only says what a well-formed name looks like, so store, specs and importers agree.
"""

from __future__ import annotations

import re

MODALITY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def modality_problem(modality: object) -> str | None:
    """Why ``modality`` cannot name a modality, or ``None``."""
    if isinstance(modality, str) and MODALITY_PATTERN.match(modality):
        return None
    return f"modality {modality!r} is not a lowercase name like 'ppg' or 'ecg'"
