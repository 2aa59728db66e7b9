"""A cancelled scenario run whose stack no op stopped: the reaper sensor stops it by PID."""

import sys
import uuid
from pathlib import Path

import dagster as dg
import pytest

from botruntime.local import spawn
from botruntime.runs._stack import Stack
from testbots_dagster.sensors import build_sensors

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_the_reaper_stops_what_a_cancelled_run_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TESTBOTS_HOME", str(tmp_path))
    instance = dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster"))
    run = instance.create_run_for_job(job_def=_job, run_id=str(uuid.uuid4()))
    run_dir = tmp_path / "runs" / run.run_id
    run_dir.mkdir(parents=True)
    child = spawn("simnet", SLEEPER, run_dir / "simnet.log")
    try:
        Stack(simnet=child).save(run_dir)
        sensor = next(s for s in build_sensors(_job) if s.name == "stack_reaper")
        context = dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=_event(run.run_id),
        )
        sensor(context)
        assert not child.alive()
    finally:
        Stack(simnet=child).stop()


@dg.op
def _noop() -> None:
    pass


@dg.job
def _job() -> None:
    _noop()


def _event(run_id: str) -> dg.DagsterEvent:
    return dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.RUN_CANCELED.value, job_name="_job", message=run_id
    )
