"""`python -m testbots_dagster.mutation` (make mutation) refuses bad requests before any run."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from botruntime.coverage import coverage_of_dir
from testbots_dagster.mutation import main as dagster_main

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_the_dagster_sweep_needs_dagster_home_and_known_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBOTS_SCENARIOS", str(SCENARIOS))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    runner = CliRunner()
    no_home = runner.invoke(dagster_main, ["--size", "smoke"])
    assert no_home.exit_code == 2 and "set DAGSTER_HOME" in no_home.output
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    unknown = runner.invoke(dagster_main, ["--scenario", "nope"])
    assert unknown.exit_code == 2 and "no scenario nope" in unknown.output
    nobody_kills = coverage_of_dir(SCENARIOS).switches_without_killer[0]
    unkilled = runner.invoke(dagster_main, ["--switch", nobody_kills])
    assert unkilled.exit_code == 2 and f"kills {nobody_kills}" in unkilled.output
