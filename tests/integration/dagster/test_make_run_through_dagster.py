"""`python -m testbots_dagster` (what `make run` does): the job runs on the instance under
DAGSTER_HOME, so the run and its materialization are there for the UI afterwards."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from botruntime.runs.runner import Stack

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[3]


def test_the_job_runs_on_the_home_instance_and_prints_the_verdict(tmp_path: Path) -> None:
    home = tmp_path / "home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    (dagster_home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    env = {**os.environ, "TESTBOTS_HOME": str(home), "DAGSTER_HOME": str(dagster_home)}
    done = subprocess.run(
        [sys.executable, "-m", "testbots_dagster", "transfer_baseline", "--size", "smoke"],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "transfer_baseline [smoke] on simnet: PASS" in done.stdout
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        (record,) = instance.get_run_records()
        assert record.dagster_run.job_name == "scenario_transfer_baseline"
        assert record.dagster_run.is_success
        event = instance.get_latest_materialization_event(
            dg.AssetKey(["scenarios", "transfer_baseline"])
        )
        assert event is not None and event.run_id == record.dagster_run.run_id
        logs = instance.all_logs(record.dagster_run.run_id)
    assert f"Dagster run {record.dagster_run.run_id}" in done.stdout
    # its coordinator and worker started before Dagster loaded, and its setup adopted them:
    # one coordinator, one worker, in the run's folder, all stopped at the end
    assert any("setup adopts them" in (e.user_message or "") for e in logs)
    run_dir = home / "runs" / record.dagster_run.run_id
    stack = Stack.load(run_dir)
    assert stack is not None and stack.simnet and stack.coordinator and len(stack.workers) == 1
    # setup starts simnet first, then the cluster; this one was there before (same clock)
    assert stack.coordinator.create_time < stack.simnet.create_time
    assert not [c.name for c in (stack.simnet, stack.coordinator, *stack.workers) if c.alive()]


def test_an_unknown_scenario_is_a_usage_error(tmp_path: Path) -> None:
    env = {**os.environ, "TESTBOTS_HOME": str(tmp_path), "DAGSTER_HOME": str(tmp_path / "d")}
    done = subprocess.run(
        [sys.executable, "-m", "testbots_dagster", "no_such_scenario"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO,
    )
    assert done.returncode == 2 and "scenario_no_such_scenario" in done.stderr
    assert not (tmp_path / "runs").exists()  # nothing was started ahead for it
