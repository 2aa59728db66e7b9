"""Check judgements on hand-built reports: what passes, what fails, and how it is explained."""

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from botruntime.runs import RunReport
from testbots_dagster._headline import compare, headline
from testbots_dagster.checks import (
    detects_vulnerability_outcome,
    regression_outcome,
    slo_outcome,
    validity_outcome,
)
from testbots_dagster.results_store import ResultsStore

MakeReport = Callable[..., RunReport]


def _set(report: RunReport, criterion_id: str, status: str) -> RunReport:
    return replace(
        report,
        criteria=tuple(
            replace(c, status=status) if c.id == criterion_id else c for c in report.criteria
        ),
    )


def test_slo_passes_when_no_hard_criterion_failed(make_report: MakeReport) -> None:
    outcome = slo_outcome(make_report())
    assert outcome.passed and outcome.severity == "ERROR"
    assert outcome.metadata["C4_complete"] == "pass"
    assert "3 judged hard criteria hold (0 n/a)" in outcome.description


def test_slo_fails_naming_the_failed_criterion(make_report: MakeReport) -> None:
    report = _set(make_report(verdict="FAIL"), "C4_complete", "fail")
    outcome = slo_outcome(report)
    assert not outcome.passed and outcome.severity == "ERROR"
    assert "C4_complete (0 lost)" in outcome.description
    assert outcome.metadata["failed"] == 1


def test_slo_on_a_mutation_run_only_warns(make_report: MakeReport) -> None:
    report = _set(make_report(switches=("mempool_drop",)), "C4_complete", "fail")
    outcome = slo_outcome(report)
    assert not outcome.passed and outcome.severity == "WARN"
    assert "detects_vulnerability" in outcome.description


def test_validity_fails_on_a_failed_gate_or_an_inconclusive_verdict(
    make_report: MakeReport,
) -> None:
    assert validity_outcome(make_report()).passed
    gate_failed = validity_outcome(_set(make_report(verdict="INCONCLUSIVE"), "G1_offered", "fail"))
    assert not gate_failed.passed and "G1_offered" in gate_failed.description
    noted = validity_outcome(make_report(verdict="INCONCLUSIVE", notes=("worker lost",)))
    assert not noted.passed and "worker lost" in noted.description


def test_detects_vulnerability_needs_a_failed_criterion_naming_each_switch(
    make_report: MakeReport,
) -> None:
    plain = detects_vulnerability_outcome(make_report())
    assert plain.passed and "not a mutation run" in plain.description

    killed = _set(make_report(switches=("mempool_drop",)), "C4_complete", "fail")
    outcome = detects_vulnerability_outcome(killed)
    assert outcome.passed and outcome.metadata["mempool_drop"] == "killed by C4_complete"

    wrong_one = _set(make_report(switches=("mempool_drop",)), "C6_invariants", "fail")
    survived = detects_vulnerability_outcome(wrong_one)
    assert not survived.passed and survived.severity == "ERROR"
    assert survived.metadata["mempool_drop"] == "survived: C4_complete held"

    # a switch no criterion names is a catch-all run: caught when the verdict is FAIL, a WARN
    # (not an ERROR that fails the Dagster run) when it is not
    unnamed = detects_vulnerability_outcome(make_report(switches=("stale_reads",)))
    assert not unnamed.passed and unnamed.severity == "WARN"
    assert "catch-all mutant survived" in unnamed.description
    assert "no criterion names" in str(unnamed.metadata["stale_reads"])
    caught = _set(make_report(switches=("stale_reads",), verdict="FAIL"), "C6_invariants", "fail")
    outcome = detects_vulnerability_outcome(caught)
    assert outcome.passed and "C6_invariants" in str(outcome.metadata["stale_reads"])
    # one named switch missed is an ERROR whatever the catch-all did
    mixed = make_report(switches=("mempool_drop", "stale_reads"))
    assert detects_vulnerability_outcome(mixed).severity == "ERROR"


def test_regression_compares_with_the_store_baseline(
    tmp_path: Path, make_report: MakeReport
) -> None:
    def with_summary(**values: float) -> Any:
        r = make_report()
        return replace(r, summary={**r.summary, **values})

    with ResultsStore.at_home(tmp_path) as store:
        first = with_summary()
        assert regression_outcome(first, compare(first, _baseline(store, first))).passed
        for p99 in (1700.0, 1800.0, 1900.0):
            store.append(with_summary(p99_commit_ms=p99))

        same = with_summary(p99_commit_ms=2000.0)  # +11 %: within 20 %
        kept = regression_outcome(same, compare(same, _baseline(store, same)))
        assert kept.passed and kept.severity == "WARN"
        assert kept.metadata["p99_commit_ms_baseline"] == 1800.0
        assert kept.metadata["baseline_runs"] == 3

        slow = with_summary(p99_commit_ms=2400.0, achieved_rate=30.0)
        flagged = regression_outcome(slow, compare(slow, _baseline(store, slow)))
        assert not flagged.passed and flagged.severity == "WARN"
        assert "p99_commit_ms 2400 vs median 1800" in flagged.description
        assert "achieved_rate_per_s 30 vs median 49.5" in flagged.description
        assert flagged.metadata["p99_commit_ms_delta_pct"] == 33.33

        mutant = with_summary(p99_commit_ms=9000.0)
        mutant = replace(mutant, switches=("mempool_drop",))
        assert regression_outcome(mutant, compare(mutant, _baseline(store, mutant))).passed


def test_noise_is_not_a_regression(make_report: MakeReport, tmp_path: Path) -> None:
    with ResultsStore.at_home(tmp_path) as store:
        store.append(make_report())  # err_rate 0.0
        r = make_report()
        tiny = replace(r, summary={**r.summary, "err_rate": 0.0005, "p50_submit_ms": 9.5})
        assert regression_outcome(tiny, compare(tiny, _baseline(store, tiny))).passed


def test_headline_keeps_only_what_the_summary_has() -> None:
    values = headline({"achieved_rate": 12, "something_else": 1.0})
    assert values == {"achieved_rate_per_s": 12.0}


def _baseline(store: ResultsStore, report: RunReport) -> Callable[[str], Any]:
    return lambda metric: store.baseline(
        report.scenario_id,
        size=report.size,
        target=report.target,
        metric=metric,
        before_s=report.started_at_s,
        exclude_run_id=report.run_id,
    )
