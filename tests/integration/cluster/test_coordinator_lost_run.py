"""A run whose coordinator dies mid-run still ends with a result: INCONCLUSIVE, naming the
lost coordinator as its cause, in its report, in the results store and as its asset's
materialization (never a run with no result)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
import pytest

from botruntime.cluster import ControlClient, CoordinatorUnavailable
from botruntime.runs import RunReport
from testbots_dagster.definitions import build_definitions
from testbots_dagster.results_store import ResultsStore

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = pytest.mark.slow


async def _wait_until_running(
    cluster: Cluster, instance: dg.DagsterInstance, job: Future[Any]
) -> str:
    """The Dagster run's id (the coordinator's run id too), once its load is running."""
    deadline = time.monotonic() + 120
    async with ControlClient(cluster.address, cluster.token) as client:
        while time.monotonic() < deadline:
            assert not job.done(), job.result()
            runs = instance.get_runs()
            if runs:
                try:
                    view = await client.run_status(runs[0].run_id)
                except CoordinatorUnavailable as exc:
                    if exc.code != "NOT_FOUND":  # not placed yet
                        raise
                else:
                    if view.state == "running" and view.elapsed_s > 0:
                        return runs[0].run_id
            await asyncio.sleep(0.2)
    raise AssertionError("the run never started on the cluster")


def test_a_run_that_loses_its_coordinator_is_recorded_inconclusive(
    cluster: Cluster,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through Dagster on an external cluster, as the nightly run goes: the coordinator is
    killed mid-run; the job still ends with a report and a stored INCONCLUSIVE result."""
    cluster.start_scenario_workers(2)
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    text = cluster.scenario(hold_s=40, rate_per_s=20, on_worker_loss="fail")
    (scenarios / "transfer_baseline.yaml").write_text(text)
    home = tmp_path / "testbots"
    monkeypatch.setenv("TESTBOTS_HOME", str(home))
    monkeypatch.setenv("TESTBOTS_TOKEN", cluster.token)
    monkeypatch.delenv("TESTBOTS_RESULTS_URL", raising=False)
    job = build_definitions(scenarios).resolve_job_def("scenario_transfer_baseline")
    config = {
        "ops": {"scenarios__transfer_baseline": {"config": {"size": "smoke"}}},
        "resources": {
            "coordinator": {
                "config": {
                    "mode": "external",
                    "address": cluster.address,
                    "token": {"env": "TESTBOTS_TOKEN"},
                    "workers": 2,
                }
            }
        },
    }
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            job.execute_in_process, instance=instance, run_config=config, raise_on_error=False
        )
        run_id = asyncio.run(_wait_until_running(cluster, instance, running))
        time.sleep(3)  # some load is done and followed (the run holds for 40 s)
        assert cluster.coordinator is not None
        cluster.coordinator.kill()
        result = running.result(timeout=240)
    assert result.run_id == run_id
    report = RunReport.read(home / "runs" / run_id / "report.json")
    assert report.verdict == "INCONCLUSIVE"
    lost = f"the run lost its coordinator at {cluster.address} for "
    assert any(lost in note for note in report.notes), report.notes
    assert report.summary["intents"] > 0  # what was followed before the loss is kept
    with ResultsStore.at_home(home) as store:
        stored = store.get(run_id)
    assert stored.verdict == "INCONCLUSIVE" and stored.notes == report.notes
    materialized = instance.get_latest_materialization_event(
        dg.AssetKey(["scenarios", "transfer_baseline"])
    )
    assert materialized is not None and materialized.run_id == run_id
