"""The `alpha` fixture: a fresh in-memory network with Alpha's modules and funded identities."""

from __future__ import annotations

import pytest
from alpha_bench import Alpha, make_alpha


@pytest.fixture
def alpha() -> Alpha:
    return make_alpha()
