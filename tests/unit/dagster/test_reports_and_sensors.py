"""run_history, regression_report and the sensors, over a real store and a real instance."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg

from botruntime.runs import Evidence, RunReport
from testbots_dagster._metadata import evidence_markdown, report_metadata, summary_markdown
from testbots_dagster.reports import build_reports, regression_rows
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore
from testbots_dagster.sensors import build_sensors, failed_checks

MakeReport = Callable[..., RunReport]
SCENARIO = dg.AssetKey(["scenarios", "transfer_baseline"])


def _p99(report: RunReport, value: float) -> RunReport:
    return replace(report, summary={**report.summary, "p99_commit_ms": value})


def test_report_assets_table_every_run_and_flag_the_regression(
    tmp_path: Path, make_report: MakeReport
) -> None:
    with ResultsStore.at_home(tmp_path) as store:
        for value in (1000.0, 1100.0, 900.0):
            store.append(_p99(make_report(), value))
        store.append(_p99(make_report(switches=("mempool_drop",)), 9999.0))  # never a baseline
        store.append(_p99(make_report(), 2000.0))  # latest: +100 % on p99 commit
        store.append(make_report(scenario_id="replay_attack"))
    result = dg.materialize(
        build_reports([SCENARIO]),
        resources={"results": ResultsStoreResource(home=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster")),
    )
    assert result.success
    by_key = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    history = by_key["run_history"]
    assert history["runs_shown"].value == 6 and history["pass"].value == 6
    first_row = history["runs"].value.records[0].data
    assert first_row["scenario"] == "replay_attack" and first_row["switches"] == "none"
    regression = by_key["regression_report"]
    assert regression["regressions"].value == 1
    assert "transfer_baseline p99_commit_ms" in regression["regressed"].value


def test_regression_rows_compare_each_scenario_latest_with_its_own_baseline(
    tmp_path: Path, make_report: MakeReport
) -> None:
    with ResultsStore.at_home(tmp_path) as store:
        store.append(_p99(make_report(), 1000.0))
        latest = _p99(make_report(), 1050.0)
        store.append(latest)
        store.append(make_report(scenario_id="replay_attack"))
        rows = regression_rows(store).to_dict(orient="records")
    p99 = [r for r in rows if r["metric"] == "p99_commit_ms"]
    assert [(r["scenario"], r["status"]) for r in p99] == [
        ("replay_attack", "no baseline"),
        ("transfer_baseline", "ok"),
    ]
    assert p99[1]["run_id"] == latest.run_id and p99[1]["baseline"] == 1000.0
    assert p99[1]["delta_pct"] == 5.0


def test_refresh_reports_fires_once_per_growth_of_the_store(
    tmp_path: Path, make_report: MakeReport
) -> None:
    sensor = next(s for s in build_sensors(reports_job=_job()) if s.name == "refresh_reports")
    resources = {"results": ResultsStoreResource(home=str(tmp_path))}

    def tick(cursor: str | None) -> Any:
        with dg.build_sensor_context(cursor=cursor, resources=resources) as context:
            return sensor.evaluate_tick(context)

    empty = tick(None)
    assert not empty.run_requests and "no run yet" in (empty.skip_message or "")
    with ResultsStore.at_home(tmp_path) as store:
        store.append(make_report())
    fired = tick(None)
    assert [r.run_key for r in fired.run_requests or []] == ["reports-after-1-runs"]
    assert fired.cursor == "1"
    assert not tick("1").run_requests


def test_failure_sensor_names_the_failed_blocking_check(tmp_path: Path) -> None:
    @dg.asset(key=SCENARIO)
    def scenario() -> int:
        return 1

    @dg.asset_check(asset=SCENARIO, name="slo", blocking=True)
    def slo() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, description="C4_completeness (3 lost)")

    # a tempdir of the test's own: an ephemeral instance's implicit one warns when collected
    instance = dg.DagsterInstance.ephemeral(tempdir=str(tmp_path))
    result = dg.materialize([scenario, slo], instance=instance, raise_on_error=False)
    assert not result.success
    assert failed_checks(instance, result.run_id) == ["slo: C4_completeness (3 lost)"]

    sensor = next(s for s in build_sensors(_job()) if s.name == "scenario_failure_report")
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure,
    ).for_run_failure()
    sensor(context)  # logs the report; must not raise on a real failed run


def test_metadata_has_plottable_numbers_a_summary_and_the_html_path(
    make_report: MakeReport, tmp_path: Path
) -> None:
    report = make_report(notes=("a | b",))
    metadata = report_metadata(report, tmp_path / "report.html")
    numbers = {k for k, v in metadata.items() if isinstance(v, float | int)}
    assert {
        "achieved_rate_per_s",
        "p50_submit_ms",
        "p95_submit_ms",
        "p99_submit_ms",
        "p99_commit_ms",
        "error_rate",
        "dropped",
        "ledger_mismatch",
    } <= numbers
    assert metadata["run_id"] == report.run_id
    assert isinstance(metadata["html_report"], dg.PathMetadataValue)
    md = summary_markdown(report)
    assert "| C4_complete | hard | pass | 0 lost |" in md and "a \\| b" in md


def test_the_scenario_figures_are_plottable_metadata_and_rows_of_the_summary(
    make_report: MakeReport, tmp_path: Path
) -> None:
    report = make_report(figures={"unbondings_paid": 12.0, "claims_replayed": None})
    metadata = report_metadata(report, tmp_path / "report.html")
    assert metadata["figure.unbondings_paid"] == 12.0
    assert "figure.claims_replayed" not in metadata  # no data is not a zero on a chart
    md = summary_markdown(report)
    assert "| unbondings_paid | 12 |" in md and "| claims_replayed | no data |" in md


def test_metadata_names_the_evidence_of_each_failed_criterion(
    make_report: MakeReport, tmp_path: Path
) -> None:
    assert evidence_markdown(make_report()) == "no criterion failed"
    lost = Evidence("n.lost{action=send_ax}", 3.0, ("ab" * 32,))
    report = make_report(
        verdict="FAIL",
        criteria=tuple(
            replace(c, status="fail", evidence=(lost,) if c.id == "C4_complete" else ())
            for c in make_report().criteria
            if c.id in ("C4_complete", "C6_invariants")
        ),
    )
    text = evidence_markdown(report)
    assert "**C4_complete** failed: 0 lost" in text
    assert f"- `n.lost{{action=send_ax}} = 3, e.g. tx {'ab' * 32}`" in text
    assert "**C6_invariants** failed: all ok\n- no series behind it" in text
    metadata = report_metadata(report, tmp_path / "report.html")
    assert metadata["evidence"] == dg.MetadataValue.md(text)
    assert text in summary_markdown(report)


def _job() -> Any:  # define_asset_job returns a non-public type
    return dg.define_asset_job("refresh_reports", selection=dg.AssetSelection.all())
