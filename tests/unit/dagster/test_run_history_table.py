"""`run_history` in-process: the runs `testbots run` left under TESTBOTS_HOME, stored and shown
as a table with a schema, row for row what `testbots history --csv` prints."""

import io
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from click.testing import CliRunner

from botruntime.commands.history import history
from botruntime.runs import RunReport
from botruntime.runs.history import HISTORY_COLUMNS
from testbots_dagster.reports import build_reports
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore

MakeReport = Callable[..., RunReport]
SCENARIO = dg.AssetKey(["scenarios", "transfer_baseline"])


def _materialize(home: Path) -> dict[str, Mapping[str, Any]]:
    result = dg.materialize(
        build_reports([SCENARIO]),
        selection=["run_history"],
        resources={"results": ResultsStoreResource(home=str(home))},
        instance=dg.DagsterInstance.ephemeral(tempdir=str(home / "dagster")),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    return {"run_history": event.materialization.metadata}


def test_run_history_tables_the_same_rows_testbots_history_prints(
    tmp_path: Path, make_report: MakeReport
) -> None:
    for p99 in (1000.0, 1500.0, 1200.0):  # three `testbots run` runs: only their report files
        report = make_report()
        replace(report, summary={**report.summary, "p99_commit_ms": p99}).write(tmp_path / "runs")
    with ResultsStore.at_home(tmp_path) as store:  # and one Dagster run, in the store only
        store.append(make_report(scenario_id="replay_attack"))

    metadata = _materialize(tmp_path)["run_history"]
    runs = metadata["runs"].value
    assert isinstance(runs, dg.TableMetadataValue) and runs.schema is not None
    assert [c.name for c in runs.schema.columns] == list(HISTORY_COLUMNS)
    types = {c.name: c.type for c in runs.schema.columns}
    assert types["p99_commit_ms"] == "float" and types["exit_code"] == "int"
    assert types["run_id"] == "string"
    shown = pd.DataFrame([r.data for r in runs.records])
    assert shown["scenario"].tolist() == ["replay_attack", *["transfer_baseline"] * 3]
    assert metadata["runs_shown"].value == 4

    cli = CliRunner().invoke(history, ["transfer_baseline", "--home", str(tmp_path), "--csv"])
    assert cli.exit_code == 0, cli.output
    printed = pd.read_csv(io.StringIO(cli.output), dtype={"git_sha": str})
    ours = shown[shown["scenario"] == "transfer_baseline"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ours.astype(printed.dtypes.to_dict()), printed, check_dtype=False)
    trends = pd.DataFrame([r.data for r in metadata["trends"].value.records])
    p99 = trends[
        (trends["scenario"] == "transfer_baseline") & (trends["metric"] == "p99_commit_ms")
    ]
    assert p99[["runs", "oldest", "latest", "median"]].values.tolist() == [
        [3, 1000.0, 1200.0, 1200.0]
    ]

    with ResultsStore.at_home(tmp_path) as store:  # stored once, however often it is refreshed
        assert store.count() == 4
    assert _materialize(tmp_path)["run_history"]["runs_shown"].value == 4


def test_regression_report_alone_also_takes_in_the_runs_outside_dagster(
    tmp_path: Path, make_report: MakeReport
) -> None:
    for p99 in (1000.0, 1000.0, 3000.0):
        report = make_report()
        replace(report, summary={**report.summary, "p99_commit_ms": p99}).write(tmp_path / "runs")
    result = dg.materialize(
        build_reports([SCENARIO]),
        selection=["regression_report"],
        resources={"results": ResultsStoreResource(home=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster")),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["regressions"].value == 1
    assert "transfer_baseline p99_commit_ms" in metadata["regressed"].value
