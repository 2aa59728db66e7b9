"""Sensors: report failed runs with the checks that failed; refresh the report assets.

- `scenario_failure_report` fires on every failed run of this code location (a failed blocking
  check fails its run) and logs, as an error in the sensor's log, which scenario it was, which
  checks failed and why, and the run's error.
- `stack_reaper` stops what a cancelled run had started (simnet, an embedded coordinator and
  workers) when no op was left to stop it (a termination between two ops); the failure
  report does the same for a failed run. Each run records its children in its folder.
- `false_alarm_report` fires on a failed nightly false-alarm probe (a smoke run on default
  simnet, `testbots/trigger: false_alarm_probe`): a FAIL there is a false alarm, logged as an
  error naming the failed criteria and their evidence, and tagged on the run
  (`testbots/false_alarm: <criteria>`, so the Runs page filters them); an INCONCLUSIVE probe
  (the experiment broke, not the network) is logged as a warning.
- `refresh_reports` re-materializes the report assets (`run_history`, `regression_report`,
  `detection_power`) whenever the results store holds more runs than at its last tick (the
  store is append-only, so its count is a cursor), including runs made with `testbots run`
  outside Dagster.
"""

# No `from __future__ import annotations`: Dagster resolves the sensor functions' annotations.

from typing import Any

import dagster as dg

from botruntime.runs import RunReport, stop_stack
from testbots_dagster.factory import SCENARIO_TAG
from testbots_dagster.resources import ResultsStoreResource, testbots_home
from testbots_dagster.results_store import RunNotFound
from testbots_dagster.schedules import FALSE_ALARM_PROBE, TRIGGER_TAG

__all__ = ["FALSE_ALARM_TAG", "build_sensors", "failed_checks", "false_alarm", "reap"]

FALSE_ALARM_TAG = "testbots/false_alarm"


def reap(run_id: str) -> bool:
    """Stop the processes the run `run_id` started, if any still run; True if it had any."""
    return stop_stack(testbots_home() / "runs" / run_id)


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """`check_name: description` of every failed asset check evaluated in the run."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        evaluation = event.asset_check_evaluation_data
        if not evaluation.passed:
            failed.append(f"{evaluation.check_name}: {evaluation.description or 'failed'}")
    return failed


def false_alarm(report: RunReport) -> str | None:
    """What a run on default simnet that FAILed says, as a false alarm; None for any other."""
    if report.verdict != "FAIL" or report.switches:
        return None
    failed = [c for c in report.failed_criteria if c.kind != "gate"]
    return (
        f"false alarm: {report.scenario_id} [{report.size}] seed {report.seed} FAILed on "
        f"{report.target} with no switch on (run {report.run_id}): "
        + "; ".join(
            f"{c.id} ({c.explanation})"
            + (f" evidence: {' | '.join(e.text() for e in c.evidence)}" if c.evidence else "")
            for c in failed
        )
    )


def build_sensors(reports_job: Any) -> list[dg.SensorDefinition]:
    @dg.run_failure_sensor(
        name="scenario_failure_report",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Names the failed checks of every failed run.",
    )
    def scenario_failure_report(context: dg.RunFailureSensorContext) -> None:
        run = context.dagster_run
        checks = failed_checks(context.instance, run.run_id)
        context.log.error(
            f"run {run.run_id} of {run.tags.get(SCENARIO_TAG, run.job_name)} failed; "
            f"failed checks: {'; '.join(checks) or 'none'}; "
            f"error: {context.failure_event.message}"
        )
        reap(run.run_id)

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.CANCELED,
        name="stack_reaper",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Stops the simnet and cluster processes a cancelled scenario run left.",
    )
    def stack_reaper(context: dg.RunStatusSensorContext) -> None:
        run = context.dagster_run
        if reap(run.run_id):
            context.log.warning(f"stopped what cancelled run {run.run_id} had started")

    @dg.run_failure_sensor(
        name="false_alarm_report",
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Names every FAIL of a nightly smoke run on default simnet: a false alarm.",
    )
    def false_alarm_report(
        context: dg.RunFailureSensorContext, results: ResultsStoreResource
    ) -> None:
        run = context.dagster_run
        if run.tags.get(TRIGGER_TAG) != FALSE_ALARM_PROBE:
            return
        try:
            report = results.store.get(run.run_id)  # a testbots run id is its Dagster run id
        except RunNotFound:
            context.log.error(f"false-alarm probe {run.run_id} failed before its report")
            return
        said = false_alarm(report)
        if said is None:
            context.log.warning(
                f"false-alarm probe {run.run_id} of {report.scenario_id} was {report.verdict}, "
                f"not a false alarm: {'; '.join(report.notes[:3]) or 'no note'}"
            )
            return
        failed = ",".join(c.id for c in report.failed_criteria if c.kind != "gate")
        context.instance.add_run_tags(run.run_id, {FALSE_ALARM_TAG: failed})
        context.log.error(said)

    @dg.sensor(
        name="refresh_reports",
        job=reports_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Re-materializes the report assets when a run is stored.",
    )
    def refresh_reports(
        context: dg.SensorEvaluationContext, results: ResultsStoreResource
    ) -> dg.RunRequest | dg.SkipReason:
        stored = results.store.count()
        if stored == 0:
            return dg.SkipReason("the results store holds no run yet")
        if context.cursor == str(stored):
            return dg.SkipReason(f"no new run since the last tick ({stored} stored)")
        context.update_cursor(str(stored))
        return dg.RunRequest(run_key=f"reports-after-{stored}-runs")

    return [scenario_failure_report, stack_reaper, false_alarm_report, refresh_reports]
