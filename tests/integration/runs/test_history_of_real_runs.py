"""`testbots history transfer_baseline` after three real runs prints them, and the Dagster asset
`run_history`, materialized in-process on the same TESTBOTS_HOME, tables the same rows.

The three runs are the session's smoke runs of transfer_baseline (healthy, mempool_drop,
fee_leak; the catalogue test judges them), their run folders gathered in one home: this test
adds no run of its own when the catalogue runs with it.
"""

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
import pytest

from testbots_dagster.reports import build_reports
from testbots_dagster.resources import ResultsStoreResource

SmokeRunner = Callable[..., Any]  # conftest.smoke_run -> SmokeRun

pytestmark = pytest.mark.slow

TESTBOTS = str(Path(sys.executable).parent / "testbots")
REPO = Path(__file__).parents[3]


def _history(home: Path, *extra: str) -> str:
    done = subprocess.run(
        [TESTBOTS, "history", "transfer_baseline", "--home", str(home), *extra],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_history_and_run_history_show_the_same_three_runs(
    smoke_run: SmokeRunner, tmp_path: Path
) -> None:
    runs = [smoke_run("transfer_baseline", switch) for switch in (None, "mempool_drop", "fee_leak")]
    for run in runs:
        assert run.report is not None, run.output
        shutil.copytree(run.run_dir, tmp_path / "runs" / run.report.run_id)
    run_ids = {run.report.run_id for run in runs}

    printed = _history(tmp_path)
    assert all(run_id in printed for run_id in run_ids), printed
    as_csv = pd.read_csv(io.StringIO(_history(tmp_path, "--csv")), dtype={"git_sha": str})
    assert set(as_csv["run_id"]) == run_ids
    assert as_csv["started"].is_monotonic_decreasing

    result = dg.materialize(
        build_reports([dg.AssetKey(["scenarios", "transfer_baseline"])]),
        selection=["run_history"],
        resources={"results": ResultsStoreResource(home=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster")),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    table = event.materialization.metadata["runs"].value
    assert isinstance(table, dg.TableMetadataValue) and table.schema is not None
    shown = pd.DataFrame([r.data for r in table.records])
    assert list(shown.columns) == list(as_csv.columns)
    pd.testing.assert_frame_equal(shown.astype(as_csv.dtypes.to_dict()), as_csv)
