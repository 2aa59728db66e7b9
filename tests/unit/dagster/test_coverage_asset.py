"""The `coverage` asset, materialized in process from the code location's own definitions."""

from pathlib import Path

import dagster as dg

from botruntime.coverage import coverage_of_dir
from botruntime.scenario import VULN_SWITCHES
from testbots_dagster.definitions import build_definitions

REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
COUNTS = (
    "scenarios",
    "scenarios_in_catalogue",
    "switches_total",
    "switches_killed",
    "kill_pairs",
    "behaviours_total",
    "behaviours_used",
    "routes_total",
    "routes_checked",
    "unmatched_patterns",
)


def test_coverage_materializes_the_matrix_as_tables_and_plottable_counts(tmp_path: Path) -> None:
    definitions = build_definitions(REPO_SCENARIOS)
    job = definitions.resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("coverage")]
        )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    expected = coverage_of_dir(REPO_SCENARIOS)
    # numbers, so the UI plots them over materializations
    for label in COUNTS:
        assert isinstance(metadata[label], dg.IntMetadataValue), label
        assert metadata[label].value == expected.counts()[label]
    assert metadata["switches_total"].value == len(VULN_SWITCHES)
    assert metadata["switches_killed"].value >= 5  # transfer_baseline's 2 + replay_attack's 3
    switches = metadata["switches"].value
    ids = sorted(path.stem for path in REPO_SCENARIOS.glob("*.yaml"))

    def row(first: str, cells: dict[str, str], last: str) -> str:
        return "| " + " | ".join([first, *(cells.get(i, "") for i in ids), last]) + " |"

    assert row("switch", {i: i for i in ids}, "scenarios") in switches
    tb = {"transfer_baseline": "C4_completeness, C5_ledger_exact"}
    assert row("mempool_drop", tb, "1") in switches
    assert row("nonce_not_enforced", {"replay_attack": "C1_no_effective_replay"}, "1") in switches
    gaps = metadata["gaps"].value
    assert all(f"`{name}`" in gaps for name in expected.switches_without_killer)
    assert "**switches no criterion kills**" in gaps
    assert "| replay_attack | general_user | replayer | - |" in metadata["roles"].value
    users = {"replay_attack": "general_user", "transfer_baseline": "general_user"}
    assert row("send_ax | legitimate", users, "2") in metadata["behaviours"].value
    fees = {"transfer_baseline": "C6_invariants"}
    assert row("fees/conservation", fees, "1") in metadata["routes"].value


def test_the_coverage_version_follows_the_scenarios(tmp_path: Path) -> None:
    """A changed kill changes the asset's code version, so the UI shows it as stale."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    for path in REPO_SCENARIOS.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")

    def version() -> str | None:
        graph = build_definitions(folder).resolve_asset_graph()
        return graph.get(dg.AssetKey("coverage")).code_version

    before = version()
    path = folder / "transfer_baseline.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[fee_leak]", "[fee_leak, no_rate_limit]")
    )
    assert version() != before and before is not None
