from __future__ import annotations

import pytest


@pytest.fixture
def seen() -> list[str]:
    """Collects the importer's warning lines."""
    return []
