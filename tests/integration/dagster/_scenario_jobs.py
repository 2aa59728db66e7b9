"""A scenario's job rebuilt in any process: what the multiprocess executor's steps import."""

from pathlib import Path

import dagster as dg

from testbots_dagster.definitions import build_definitions


def scenario_job(scenarios_dir: str, scenario_id: str) -> dg.JobDefinition:
    job = build_definitions(Path(scenarios_dir)).resolve_job_def(f"scenario_{scenario_id}")
    assert isinstance(job, dg.JobDefinition)
    return job
