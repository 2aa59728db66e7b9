"""The nightly false-alarm probes: what counts as a false alarm, and the sensor on real failed
runs of an in-process instance."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg

from botruntime.runs import Evidence, RunReport
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore
from testbots_dagster.schedules import FALSE_ALARM_PROBE, TRIGGER_TAG
from testbots_dagster.sensors import FALSE_ALARM_TAG, build_sensors, false_alarm

MakeReport = Callable[..., RunReport]
SCENARIO = dg.AssetKey(["scenarios", "transfer_baseline"])


def _failed(report: RunReport, *ids: str) -> RunReport:
    return replace(
        report,
        verdict="FAIL",
        exit_code=1,
        criteria=tuple(replace(c, status="fail") if c.id in ids else c for c in report.criteria),
    )


def test_a_fail_on_default_simnet_is_a_false_alarm_and_a_mutant_fail_is_not(
    make_report: MakeReport,
) -> None:
    failed = _failed(make_report(seed="nightly-2026-01-02-2"), "C4_complete")
    lost = Evidence("n.lost{action=send_ax}", 1.0, ("ab" * 32,))
    failed = replace(
        failed,
        criteria=tuple(
            replace(c, evidence=(lost,)) if c.status == "fail" else c for c in failed.criteria
        ),
    )
    said = false_alarm(failed)
    assert said is not None and said.startswith("false alarm: transfer_baseline [smoke]")
    assert "seed nightly-2026-01-02-2" in said and "C4_complete (0 lost)" in said
    assert f"evidence: n.lost{{action=send_ax}} = 1, e.g. tx {'ab' * 32}" in said
    assert false_alarm(_failed(make_report(switches=("mempool_drop",)), "C4_complete")) is None
    assert false_alarm(make_report()) is None
    assert false_alarm(make_report(verdict="INCONCLUSIVE")) is None


def test_the_false_alarm_sensor_tags_a_failed_probe_and_leaves_other_runs(
    tmp_path: Path, make_report: MakeReport
) -> None:
    @dg.asset(key=SCENARIO)
    def scenario() -> int:
        return 1

    @dg.asset_check(asset=SCENARIO, name="slo", blocking=True)
    def slo() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="C4_complete (0 lost)")

    instance = dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster"))
    resources = {"results": ResultsStoreResource(home=str(tmp_path))}
    sensor = next(s for s in build_sensors(_job()) if s.name == "false_alarm_report")

    def failed_run(tags: dict[str, str], verdict: str) -> str:
        result = dg.materialize([scenario, slo], instance=instance, tags=tags, raise_on_error=False)
        assert not result.success
        with ResultsStore.at_home(tmp_path) as store:
            report = make_report(run_id=result.run_id)
            store.append(_failed(report, "C4_complete") if verdict == "FAIL" else report)
        failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        with dg.build_run_status_sensor_context(
            sensor_name=sensor.name,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=failure,
            resources=resources,
        ).for_run_failure() as context:  # the store resource opens and closes with it
            sensor(context)
        return result.run_id

    probe = failed_run({TRIGGER_TAG: FALSE_ALARM_PROBE}, "FAIL")
    nightly = failed_run({TRIGGER_TAG: "nightly"}, "FAIL")  # a regression, not a probe
    broken = failed_run({TRIGGER_TAG: FALSE_ALARM_PROBE}, "INCONCLUSIVE")

    def tags(run_id: str) -> dict[str, str]:
        run = instance.get_run_by_id(run_id)
        assert run is not None
        return dict(run.tags)

    assert tags(probe)[FALSE_ALARM_TAG] == "C4_complete"
    assert FALSE_ALARM_TAG not in tags(nightly)
    assert FALSE_ALARM_TAG not in tags(broken)


def _job() -> Any:  # define_asset_job returns a non-public type
    return dg.define_asset_job("refresh_reports", selection=dg.AssetSelection.all())
