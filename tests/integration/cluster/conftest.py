"""Fixtures of the cluster tests: a coordinator process per test, workers started on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cluster_procs import Cluster


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    try:
        made.start_coordinator()
        yield made
    finally:
        made.kill_all()
