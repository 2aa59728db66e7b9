"""RunReport: exact JSON round trip, atomic write, typed errors on foreign files."""

from pathlib import Path

import pytest

from botruntime.runs.report import CriterionOutcome, IntervalPoint, ReportError, RunReport


def _report() -> RunReport:
    return RunReport(
        run_id="r1",
        scenario_id="transfer_baseline",
        scenario_hash="abc",
        size="smoke",
        target="simnet",
        seed="1001",
        switches=("mempool_drop",),
        git_sha=None,
        started_at_s=1.0,
        ended_at_s=2.0,
        verdict="FAIL",
        exit_code=1,
        criteria=(
            CriterionOutcome(
                "C4", "hard", "fail", "n.lost == 0", "n.lost = 1", 1.0, ("mempool_drop",)
            ),
        ),
        summary={"p99_commit_ms": 1063.9},
        errors_by_code={"bad_nonce": 2},
        series=(IntervalPoint(0.0, 50.0, 50.0, 30.0, 0, 0, 2.0, 8.0, None),),
        notes=("C4 failed",),
        figures={"payments": 41.0, "unmeasured": None},
    )


def test_json_round_trip_is_exact(tmp_path: Path) -> None:
    report = _report()
    path = report.write(tmp_path)
    assert path == tmp_path / "r1" / "report.json"
    assert not (tmp_path / "r1" / "report.json.partial").exists()
    assert RunReport.read(path) == report
    assert report.failed_criteria[0].kills == ("mempool_drop",)


@pytest.mark.parametrize("text", ["not json", "[]", '{"version": 99}', '{"version": 1}'])
def test_foreign_files_are_a_typed_error(text: str) -> None:
    with pytest.raises(ReportError, match="report"):
        RunReport.from_json(text, source="report.json")
