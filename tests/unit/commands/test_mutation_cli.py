"""`testbots mutation` refuses bad requests before any run starts (the runs themselves:
tests/integration/runs/test_mutation_cli.py)."""

from pathlib import Path

from click.testing import CliRunner

from botruntime.cli import main

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_an_unknown_scenario_or_switch_is_a_usage_error(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["mutation", "--scenarios-dir", str(SCENARIOS), "--home", str(tmp_path)]
    unknown = runner.invoke(main, [*base, "--scenario", "no_such_scenario"])
    assert unknown.exit_code == 2 and "no_such_scenario" in unknown.output
    unkilled = runner.invoke(main, [*base, "--scenario", "transfer_baseline", "--switch", "x"])
    assert unkilled.exit_code == 2
    assert "no criterion of transfer_baseline kills x" in unkilled.output
    assert "transfer_baseline/mempool_drop, transfer_baseline/fee_leak" in unkilled.output
    assert not (tmp_path / "runs").exists()


def test_a_catch_all_refuses_a_switch_a_criterion_names_and_a_scenario_beside_it(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    base = ["mutation", "--scenarios-dir", str(SCENARIOS), "--home", str(tmp_path)]
    named = runner.invoke(main, [*base, "--catch-all", "mixed_soak", "--switch", "fee_leak"])
    assert named.exit_code == 2
    assert "a criterion of mixed_soak names fee_leak" in named.output
    unknown = runner.invoke(main, [*base, "--catch-all", "mixed_soak", "--switch", "nope"])
    assert unknown.exit_code == 2 and "nope: not a simnet switch" in unknown.output
    both = runner.invoke(
        main, [*base, "--catch-all", "mixed_soak", "--scenario", "transfer_baseline"]
    )
    assert both.exit_code == 2 and "one at a time" in both.output
    missing = runner.invoke(main, [*base, "--catch-all", "no_such_scenario"])
    assert missing.exit_code == 2 and "no_such_scenario" in missing.output
    assert not (tmp_path / "runs").exists()
