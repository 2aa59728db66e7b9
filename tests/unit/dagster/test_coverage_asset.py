"""The `coverage` asset, materialized in process from the code location's own definitions."""

from collections.abc import Mapping, Sequence
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
    ids = expected.scenarios

    def row(name: str, marks: Mapping[str, Sequence[str]], *lead: str) -> str:
        """A table row as the asset renders it: one cell per scenario, then their count."""
        cells = [", ".join(marks.get(i, ())) for i in ids]
        return "| " + " | ".join([name, *lead, *cells, str(sum(1 for c in cells if c))]) + " |"

    switches = metadata["switches"].value
    assert "| switch | " + " | ".join(ids) + " | scenarios |" in switches
    # the first killers, pinned; other scenarios may join them
    assert expected.switches["mempool_drop"]["transfer_baseline"] == (
        "C4_completeness",
        "C5_ledger_exact",
    )
    assert expected.switches["nonce_not_enforced"]["replay_attack"] == ("C1_no_effective_replay",)
    assert row("mempool_drop", expected.switches["mempool_drop"]) in switches
    assert row("nonce_not_enforced", expected.switches["nonce_not_enforced"]) in switches
    gaps = metadata["gaps"].value
    assert all(f"`{name}`" in gaps for name in expected.switches_without_killer)
    assert "**switches no criterion kills**" in gaps
    assert "| replay_attack | general_user | replayer | - |" in metadata["roles"].value
    send_ax = expected.behaviours["send_ax"]
    assert {"transfer_baseline", "replay_attack"} <= set(send_ax)
    assert row("send_ax", send_ax, "legitimate") in metadata["behaviours"].value
    conservation = expected.routes["fees/conservation"]
    assert conservation["transfer_baseline"] == ("C6_invariants",)
    assert row("fees/conservation", conservation) in metadata["routes"].value
