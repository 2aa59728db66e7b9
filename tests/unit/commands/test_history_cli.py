"""`testbots history` and `testbots compare` over report files, in the terminal and as CSV."""

import dataclasses
import io
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from botruntime.commands.history import history
from botruntime.commands.report import compare
from botruntime.runs.history import HISTORY_COLUMNS
from botruntime.runs.report import CriterionOutcome, RunReport


def _report(run_id: str, started: float, p99: float, **kw: object) -> RunReport:
    base = RunReport(
        run_id=run_id,
        scenario_id="transfer_baseline",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="1",
        switches=(),
        git_sha=None,
        started_at_s=started,
        ended_at_s=started + 1,
        verdict="PASS",
        exit_code=0,
        criteria=(CriterionOutcome("C2", "hard", "pass", "p99 <= 2.5s", "ok"),),
        summary={"p99_commit_ms": p99, "committed_rate": 12.0},
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def _three_runs(home: Path) -> None:
    _report("tb-1", 1_800_000_000.0, 1000.0).write(home / "runs")
    _report("tb-2", 1_800_000_100.0, 1100.0, size="default").write(home / "runs")
    _report("tb-3", 1_800_000_200.0, 1200.0, verdict="FAIL", exit_code=1).write(home / "runs")
    _report("other", 1_800_000_300.0, 5.0, scenario_id="replay_attack").write(home / "runs")


def test_history_prints_the_scenarios_runs_newest_first(tmp_path: Path) -> None:
    _three_runs(tmp_path)
    result = CliRunner().invoke(history, ["transfer_baseline", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    rows = [next(i for i, line in enumerate(lines) if f"tb-{n}" in line) for n in (3, 2, 1)]
    assert rows == sorted(rows), result.output
    assert "other" not in result.output and "1200" in result.output and "FAIL" in result.output


def test_history_csv_is_the_history_table(tmp_path: Path) -> None:
    _three_runs(tmp_path)
    args = ["transfer_baseline", "--home", str(tmp_path), "--csv", "--size", "smoke"]
    result = CliRunner().invoke(history, args)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.output))
    assert list(frame.columns) == list(HISTORY_COLUMNS)
    assert list(frame["run_id"]) == ["tb-3", "tb-1"]
    assert list(frame["p99_commit_ms"]) == [1200.0, 1000.0]
    last = CliRunner().invoke(history, [*args, "--last", "1"])
    assert pd.read_csv(io.StringIO(last.output))["run_id"].tolist() == ["tb-3"]


def test_history_of_a_scenario_never_run_says_how_to_run_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(history, ["transfer_baseline", "--home", str(tmp_path)])
    assert result.exit_code == 1
    assert "no finished run of 'transfer_baseline'" in result.output
    assert "testbots run transfer_baseline --size smoke" in result.output


def test_compare_takes_three_runs_and_writes_csv(tmp_path: Path) -> None:
    _three_runs(tmp_path)
    args = ["tb-1", "tb-2", "tb-3", "--home", str(tmp_path)]
    shown = CliRunner().invoke(compare, args, terminal_width=160)
    assert shown.exit_code == 0, shown.output
    assert "1.20x" in shown.output and "comparing different experiments" in shown.output
    as_csv = CliRunner().invoke(compare, [*args, "--csv"])
    assert as_csv.exit_code == 0, as_csv.output
    frame = pd.read_csv(io.StringIO(as_csv.output), index_col="figure")
    assert list(frame.columns) == ["tb-1", "tb-2", "tb-3", "last/first"]
    assert frame.loc["p99_commit_ms"].tolist() == [1000.0, 1100.0, 1200.0, 1.2]


def test_compare_needs_two_runs(tmp_path: Path) -> None:
    _three_runs(tmp_path)
    result = CliRunner().invoke(compare, ["tb-1", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "two runs or more" in result.output
