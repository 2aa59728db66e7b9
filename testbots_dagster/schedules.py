"""The nightly regression and the weekly mutation sweep.

Both fan out over the `all_scenarios` asset job, one run per scenario (`asset_selection`), so
each scenario is its own run with its own verdict; the `testbots/fleet` tag on that job makes
the runs queue behind each other (tag concurrency limit in dagster.yaml), as they share the
network under test.

The nightly regression is RUNNING by default: once the Dagster daemon runs, the scenarios
tagged `nightly` run every night against the target resource (simnet unless set), with no click
in the UI. The weekly mutation sweep starts STOPPED: it turns simnet's defences off, so someone
turns it on (UI: Automation) when they want it.
"""

# No `from __future__ import annotations`: Dagster resolves the schedule functions' annotations.

from collections.abc import Sequence
from typing import Any

import dagster as dg

from testbots_dagster.factory import SCENARIO_TAG, BuiltScenario

__all__ = ["MUTATION_CRON", "NIGHTLY_CRON", "build_schedules"]

NIGHTLY_CRON = "0 2 * * *"  # every night, 02:00 UTC
MUTATION_CRON = "0 4 * * 6"  # Saturdays, 04:00 UTC
TRIGGER_TAG = "testbots/trigger"
SWITCH_TAG = "testbots/switch"


def build_schedules(built: Sequence[BuiltScenario], fleet_job: Any) -> list[dg.ScheduleDefinition]:
    nightly = [b for b in built if b.nightly]
    mutants = [b for b in built if b.primary_switch is not None]

    @dg.schedule(
        name="nightly_regression",
        job=fleet_job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every scenario tagged 'nightly', at default size, one run each.",
    )
    def nightly_regression(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return [
            dg.RunRequest(
                run_key=f"nightly-{day}-{b.scenario_id}",  # one run per scenario per night
                asset_selection=[b.key],
                tags={SCENARIO_TAG: b.scenario_id, TRIGGER_TAG: "nightly"},
            )
            for b in nightly
        ]

    @dg.schedule(
        name="weekly_mutation_sweep",
        job=fleet_job,
        cron_schedule=MUTATION_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="Every scenario with its primary simnet switch on: detects_vulnerability "
        "must pass (a criterion naming the switch fails).",
    )
    def weekly_mutation_sweep(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return [
            dg.RunRequest(
                run_key=f"mutation-{day}-{b.scenario_id}-{b.primary_switch}",
                asset_selection=[b.key],
                run_config={"ops": {b.config_key: {"config": {"switches": [b.primary_switch]}}}},
                tags={
                    SCENARIO_TAG: b.scenario_id,
                    TRIGGER_TAG: "mutation",
                    SWITCH_TAG: str(b.primary_switch),
                },
            )
            for b in mutants
        ]

    return [nightly_regression, weekly_mutation_sweep]
