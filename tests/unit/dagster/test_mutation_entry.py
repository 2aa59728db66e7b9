"""`python -m testbots_dagster.mutation` (make mutation) refuses bad requests before any run."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from botruntime.scenario import VULN_SWITCHES, load_scenario
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
    # a switch the chosen scenario does not kill (every switch has a killer somewhere)
    baseline = load_scenario(SCENARIOS / "transfer_baseline.yaml").scenario
    killed = {switch for c in baseline.verdict.criteria for switch in c.kills}
    other = next(switch for switch in VULN_SWITCHES if switch not in killed)
    unkilled = runner.invoke(dagster_main, ["--scenario", "transfer_baseline", "--switch", other])
    assert unkilled.exit_code == 2 and f"kills {other}" in unkilled.output
