"""`testbots report` and `testbots compare` over stored reports."""

import dataclasses
from pathlib import Path

from click.testing import CliRunner

from botruntime.commands.report import compare, report
from botruntime.runs.report import CriterionOutcome, RunReport


def _report(run_id: str, p99: float, verdict: str, status: str, code: int) -> RunReport:
    return RunReport(
        run_id=run_id,
        scenario_id="transfer_baseline",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="1",
        switches=(),
        git_sha=None,
        started_at_s=1.0,
        ended_at_s=2.0,
        verdict=verdict,  # type: ignore[arg-type]
        exit_code=code,
        criteria=(CriterionOutcome("C2", "hard", status, "p99 <= 2.5s", f"p99 = {p99} ms"),),  # type: ignore[arg-type]
        summary={"p99_commit_ms": p99, "committed_rate": 12.0},
    )


def test_report_prints_the_verdict_and_exits_with_the_runs_code(tmp_path: Path) -> None:
    _report("a", 1000.0, "FAIL", "fail", 1).write(tmp_path / "runs")
    result = CliRunner().invoke(report, ["a", "--home", str(tmp_path), "--html"])
    assert result.exit_code == 1
    assert result.output.startswith("transfer_baseline [smoke] on simnet: FAIL")
    assert (tmp_path / "runs" / "a" / "report.html").is_file()


def test_compare_shows_ratios_and_changed_criteria(tmp_path: Path) -> None:
    _report("a", 1000.0, "PASS", "pass", 0).write(tmp_path / "runs")
    _report("b", 3000.0, "FAIL", "fail", 1).write(tmp_path / "runs")
    result = CliRunner().invoke(compare, ["a", "b", "--home", str(tmp_path)], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "3.00x" in result.output and "changed" in result.output


def test_an_unknown_run_says_where_runs_are(tmp_path: Path) -> None:
    result = CliRunner().invoke(report, ["nope", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "no report for 'nope'" in result.output
    path = dataclasses.replace(_report("c", 1.0, "PASS", "pass", 0)).write(tmp_path / "x")
    assert CliRunner().invoke(report, [str(path)]).exit_code == 0
