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
    # a column per scenario of the catalogue: read cells by row and column name
    switches = _cells(metadata["switches"].value)
    assert switches["mempool_drop"]["transfer_baseline"] == "C4_completeness, C5_ledger_exact"
    assert switches["mempool_drop"]["replay_attack"] == ""
    assert switches["nonce_not_enforced"]["replay_attack"] == "C1_no_effective_replay"
    assert switches["nonce_not_enforced"]["scenarios"] == "1"
    gaps = metadata["gaps"].value
    assert all(f"`{name}`" in gaps for name in expected.switches_without_killer)
    assert "**switches no criterion kills**" in gaps
    roles = _cells(metadata["roles"].value)
    assert roles["replay_attack"]["adversarial"] == "replayer"
    assert "general_user" in roles["replay_attack"]["legitimate"]
    behaviours = _cells(metadata["behaviours"].value)
    assert behaviours["send_ax"]["group"] == "legitimate"
    assert behaviours["send_ax"]["transfer_baseline"] == "general_user"
    assert behaviours["send_ax"]["scenarios"] == str(len(expected.behaviours["send_ax"]))
    routes = _cells(metadata["routes"].value)
    assert routes["fees/conservation"]["transfer_baseline"] == "C6_invariants"
    assert routes["fees/conservation"]["replay_attack"] == ""


def _cells(markdown: str) -> dict[str, dict[str, str]]:
    """A markdown table as {first cell of a row: {column name: cell}}."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows}


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
