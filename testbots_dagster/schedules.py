"""The nightly regression and the weekly mutation sweep.

Both fan out over the `all_scenarios` asset job, one run per request (`asset_selection`), so
each scenario is its own run with its own verdict; the `testbots/fleet` tag on that job makes
the runs queue behind each other (tag concurrency limit in dagster.yaml), as they share the
network under test.

The nightly regression is RUNNING by default: once the Dagster daemon runs, the scenarios
tagged `nightly` run every night against the target resource (simnet unless set), with no click
in the UI. The weekly mutation sweep starts STOPPED: it turns simnet's defences off, so someone
turns it on (UI: Automation) when they want it.

- nightly: every scenario tagged `nightly` at default size; and every scenario's smoke size on
  default simnet with three seeds of the night (`testbots/trigger: false_alarm_probe`): a
  healthy network must never FAIL, so any FAIL there is a false alarm (the
  `false_alarm_report` sensor names it).
- weekly: the mutant of every (scenario, switch) pair a criterion's `kills` names, at default
  size on simnet, one run per pair and week; `detection_power` scores them. And the catch-all
  of every scenario tagged `catch_all` (SCENARIOS.md L9): a run with each switch none of its
  criteria names, at smoke size (`CATCH_ALL_SIZE`), where `detects_vulnerability` WARNs on a
  survivor.
"""

# No `from __future__ import annotations`: Dagster resolves the schedule functions' annotations.

from collections.abc import Sequence
from typing import Any

import dagster as dg

from testbots_dagster.factory import SCENARIO_TAG, BuiltScenario

__all__ = [
    "CATCH_ALL_SIZE",
    "FALSE_ALARM_PROBE",
    "FALSE_ALARM_SEEDS",
    "MUTATION_CRON",
    "NIGHTLY_CRON",
    "SEED_TAG",
    "SWITCH_TAG",
    "TRIGGER_TAG",
    "build_schedules",
]

NIGHTLY_CRON = "0 2 * * *"  # every night, 02:00 UTC
MUTATION_CRON = "0 4 * * 6"  # Saturdays, 04:00 UTC
TRIGGER_TAG = "testbots/trigger"
SWITCH_TAG = "testbots/switch"
SEED_TAG = "testbots/seed"
FALSE_ALARM_PROBE = "false_alarm_probe"  # TRIGGER_TAG value of the nightly smoke runs
FALSE_ALARM_SEEDS = 3
# the catch-all asks whether some criterion fails at all, which the invariants, completeness and
# ledger criteria judge at smoke size; a default soak per switch (mixed_soak: 30 min) would not
# fit a week's night
CATCH_ALL_SIZE = "smoke"


def build_schedules(built: Sequence[BuiltScenario], fleet_job: Any) -> list[dg.ScheduleDefinition]:
    nightly = [b for b in built if b.nightly]

    @dg.schedule(
        name="nightly_regression",
        job=fleet_job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every scenario tagged 'nightly', at default size, one run each; and every "
        "scenario's smoke size on default simnet with three seeds (any FAIL is a false alarm).",
    )
    def nightly_regression(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        return [
            *(
                dg.RunRequest(
                    run_key=f"nightly-{day}-{b.scenario_id}",  # one run per scenario per night
                    asset_selection=[b.key],
                    tags={SCENARIO_TAG: b.scenario_id, TRIGGER_TAG: "nightly"},
                )
                for b in nightly
            ),
            *false_alarm_probes(built, day),
        ]

    @dg.schedule(
        name="weekly_mutation_sweep",
        job=fleet_job,
        cron_schedule=MUTATION_CRON,
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description="The mutant of every (scenario, switch) pair a criterion names, at default "
        "size: detects_vulnerability must pass (a criterion naming the switch fails); and the "
        "catch-all of the scenarios tagged catch_all at smoke size (a survivor WARNs).",
    )
    def weekly_mutation_sweep(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
        year, week, _ = context.scheduled_execution_time.isocalendar()
        return [
            *(
                dg.RunRequest(
                    run_key=f"mutation-{year}-W{week:02d}-{pair.scenario_id}-{pair.switch}",
                    asset_selection=[b.key],
                    run_config=_run_config(b, size="default", switches=[pair.switch]),
                    tags={
                        SCENARIO_TAG: b.scenario_id,
                        TRIGGER_TAG: "mutation",
                        SWITCH_TAG: pair.switch,
                    },
                )
                for b in built
                for pair in b.pairs
            ),
            *(
                dg.RunRequest(
                    run_key=f"catch-all-{year}-W{week:02d}-{pair.scenario_id}-{pair.switch}",
                    asset_selection=[b.key],
                    run_config=_run_config(b, size=CATCH_ALL_SIZE, switches=[pair.switch]),
                    tags={
                        SCENARIO_TAG: b.scenario_id,
                        TRIGGER_TAG: "catch_all",
                        SWITCH_TAG: pair.switch,
                    },
                )
                for b in built
                if b.has_smoke
                for pair in b.catch_all
            ),
        ]

    return [nightly_regression, weekly_mutation_sweep]


def false_alarm_probes(built: Sequence[BuiltScenario], day: str) -> list[dg.RunRequest]:
    """Each scenario's smoke size on default simnet, once per seed of the night: new seeds
    every night find what one fixed seed never shows, and the seed in the tags and the report
    replays a false alarm."""
    return [
        dg.RunRequest(
            run_key=f"nightly-{day}-{b.scenario_id}-smoke-{i}",
            asset_selection=[b.key],
            run_config=_run_config(b, size="smoke", switches=[], seed=f"nightly-{day}-{i}"),
            tags={
                SCENARIO_TAG: b.scenario_id,
                TRIGGER_TAG: FALSE_ALARM_PROBE,
                SEED_TAG: f"nightly-{day}-{i}",
            },
        )
        for b in built
        if b.has_smoke
        for i in range(1, FALSE_ALARM_SEEDS + 1)
    ]


def _run_config(b: BuiltScenario, **config: object) -> dict[str, object]:
    """Run config of the scenario asset, on simnet (switches and the false-alarm runs need it)."""
    return {"ops": {b.config_key: {"config": {"target": "simnet", **config}}}}
