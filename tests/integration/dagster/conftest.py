"""Fixtures of the Dagster tests: a TESTBOTS_HOME of the test's own and a SQLite instance."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TESTBOTS_HOME", str(tmp_path / "testbots"))
    monkeypatch.delenv("TESTBOTS_RESULTS_URL", raising=False)
    return tmp_path / "testbots"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst
