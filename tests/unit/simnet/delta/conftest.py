"""The `delta` fixture: Delta's markets in memory (see delta_bench)."""

from __future__ import annotations

import pytest
from delta_bench import Delta, make_delta


@pytest.fixture
def delta() -> Delta:
    return make_delta()
