"""A simnet run with an unmeasured hard criterion: INCONCLUSIVE unless it already FAILed."""

from __future__ import annotations

from botruntime.runs._report_build import unmeasured_on_simnet
from botruntime.scenario import CriterionResult, Outcome, OutcomeStatus, Status, Verdict


def _criterion(
    cid: str, status: OutcomeStatus, *, enforced: bool = True, expr: str = "x <= 1"
) -> CriterionResult:
    outcome = Outcome(status, None, None, f"{cid} explained")
    return CriterionResult(cid, "hard", expr, "", outcome, enforced)


def _verdict(status: Status, *criteria: CriterionResult) -> Verdict:
    return Verdict("s", "default", status, (), criteria, (), ())


def test_an_unmeasured_hard_criterion_breaks_a_run_that_found_nothing() -> None:
    verdict = _verdict(Status.PASS, _criterion("C1", "pass"), _criterion("C3_mem", "n/a"))
    assert unmeasured_on_simnet(verdict) == [
        "C3_mem could not be judged on simnet: C3_mem explained"
    ]


def test_a_run_that_failed_on_evidence_stays_failed() -> None:
    verdict = _verdict(Status.FAIL, _criterion("C2", "fail"), _criterion("C3_mem", "n/a"))
    assert unmeasured_on_simnet(verdict) == []


def test_criteria_not_enforced_or_against_a_baseline_are_not_required() -> None:
    verdict = _verdict(
        Status.PASS,
        _criterion("C1", "n/a", enforced=False),
        _criterion("C2", "n/a", expr="p99(lat.commit) <= 1.2 * baseline"),
    )
    assert unmeasured_on_simnet(verdict) == []
