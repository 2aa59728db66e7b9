"""The `capacity` asset: C_tx per target and version, downstream of capacity_ramp."""

import dataclasses
from pathlib import Path

import dagster as dg
import pytest

from botruntime.runs import RunReport
from testbots_dagster.capacity import capacity_metadata
from testbots_dagster.definitions import build_definitions

REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _report(run_id: str, c_tx: float, started: float, **changes: object) -> RunReport:
    report = RunReport(
        run_id=run_id,
        scenario_id="capacity_ramp",
        scenario_hash="h",
        size="default",
        target="simnet",
        seed="1",
        switches=(),
        git_sha=None,
        started_at_s=started,
        ended_at_s=started + 70,
        verdict="PASS",
        exit_code=0,
        criteria=(),
        summary={"capacity_c_tx": c_tx},
        network_version="0.1.0",
    )
    return dataclasses.replace(report, **changes)  # type: ignore[arg-type]


def test_capacity_is_downstream_of_capacity_ramp_only() -> None:
    graph = build_definitions(REPO_SCENARIOS).resolve_asset_graph()
    assert graph.get(dg.AssetKey("capacity")).parent_keys == {
        dg.AssetKey(["scenarios", "capacity_ramp"])
    }


def test_capacity_materializes_the_latest_c_tx_of_each_target_and_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "home" / "runs"
    _report("old", 100.0, 1.0).write(runs)
    _report("new", 140.0, 2.0).write(runs)
    _report("mutant", 900.0, 3.0, switches=("mempool_unbounded_fifo",)).write(runs)
    _report("next", 120.0, 4.0, network_version="0.2.0").write(runs)
    monkeypatch.setenv("TESTBOTS_HOME", str(tmp_path / "home"))
    job = build_definitions(REPO_SCENARIOS).resolve_implicit_global_asset_job_def()
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        result = job.execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("capacity")]
        )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["c_tx/simnet@0.1.0"].value == 140.0
    assert metadata["c_tx/simnet@0.2.0"].value == 120.0
    assert metadata["targets"].value == 2
    rows = metadata["capacities"].value.records
    assert [(r.data["version"], r.data["run_id"]) for r in rows] == [
        ("0.1.0", "new"),
        ("0.2.0", "next"),
    ]


def test_no_capacity_measured_yet_is_an_empty_table() -> None:
    metadata = capacity_metadata({})
    assert metadata["targets"] == 0


def test_a_run_sized_by_c_tx_fails_its_setup_saying_to_run_capacity_ramp_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBOTS_HOME", str(tmp_path / "home"))
    definitions = build_definitions(REPO_SCENARIOS)
    job = definitions.resolve_job_def("scenario_transfer_baseline")
    config = {"ops": {"scenarios__transfer_baseline": {"config": {"size": "full"}}}}
    with dg.DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        result = job.execute_in_process(instance=instance, run_config=config, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.message  # type: ignore[union-attr]
    assert "run capacity_ramp on this target first" in message
    assert "sizes.full.load.general_user.stages[0]" in message
    assert not list((tmp_path / "home").glob("runs/*/simnet.out"))  # nothing was started
