"""The Dagster job of a scenario with its `coordinator` resource set to external: the run goes
to a coordinator and three workers started apart from Dagster, as deploy/ runs them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import pytest

from botruntime.cluster import ControlClient, RunView
from testbots_dagster.definitions import build_definitions
from testbots_dagster.results_store import ResultsStore

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]


async def _run_view(cluster: Cluster, run_id: str) -> RunView:
    async with ControlClient(cluster.address, cluster.token) as client:
        return await client.run_status(run_id)


def test_the_job_runs_on_an_external_cluster(
    cluster: Cluster,
    tmp_path: Path,
    instance: dg.DagsterInstance,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cluster.start_scenario_workers(3)
    home = tmp_path / "testbots"
    monkeypatch.setenv("TESTBOTS_HOME", str(home))
    monkeypatch.setenv("TESTBOTS_TOKEN", cluster.token)
    monkeypatch.delenv("TESTBOTS_RESULTS_URL", raising=False)
    job = build_definitions(REPO / "scenarios").resolve_job_def("scenario_transfer_baseline")
    config = {
        "ops": {"scenarios__transfer_baseline": {"config": {"size": "smoke"}}},
        "resources": {
            "coordinator": {
                "config": {
                    "mode": "external",
                    "address": cluster.address,
                    "token": {"env": "TESTBOTS_TOKEN"},
                    "workers": 3,
                }
            }
        },
    }
    result = job.execute_in_process(instance=instance, run_config=config)
    assert result.success
    with ResultsStore.at_home(home) as store:
        assert store.get(result.run_id).verdict == "PASS"
    view = asyncio.run(_run_view(cluster, result.run_id))
    assert view.state == "completed" and len({p.worker_id for p in view.placements}) == 3
    # the token was read at run time: it is nowhere in the stored run config
    run = instance.get_run_by_id(result.run_id)
    assert run is not None and cluster.token not in str(run.run_config)
