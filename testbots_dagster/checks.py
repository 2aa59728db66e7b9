"""Asset checks on every scenario asset, judged from the run's report in the results store.

check                   severity  blocking  passes when
slo                     ERROR     yes       no hard criterion failed (WARN on a mutation run,
                                            whose criteria are meant to fail)
validity                ERROR     yes       every validity gate held: the experiment was sound
regression              WARN      no        no headline metric > 20 % worse than the median of
                                            the last 7 passing runs at the same size and target
detects_vulnerability   ERROR     yes       on a run with simnet switches: for every switch, a
                                            criterion whose `kills` names it failed; a switch
                                            no criterion names (a catch-all run): the verdict
                                            is FAIL, else WARN

A failed ERROR check that is blocking fails the Dagster run, which is what the run-failure
sensor reports. The judging is plain functions of a `RunReport` (`*_outcome`), tested without
an instance; the Dagster checks only find the report and translate the outcome.
"""

# No `from __future__ import annotations`: Dagster resolves check-function annotations.

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import dagster as dg

from botruntime.runs import CriterionOutcome, RunReport, is_catch_all, judge_switch
from testbots_dagster._headline import HEADLINE, REGRESSION_TOLERANCE, Comparison, compare
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore

__all__ = [
    "CHECK_NAMES",
    "Outcome",
    "build_checks",
    "detects_vulnerability_outcome",
    "regression_outcome",
    "slo_outcome",
    "validity_outcome",
]

CHECK_NAMES = ("slo", "validity", "regression", "detects_vulnerability")
Severity = Literal["ERROR", "WARN"]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    severity: Severity
    description: str
    metadata: dict[str, str | int | float] = field(default_factory=dict)


def slo_outcome(report: RunReport) -> Outcome:
    hard = [c for c in report.criteria if c.kind == "hard"]
    failed = [c for c in hard if c.status == "fail"]
    judged = [c for c in hard if c.status != "n/a"]
    if failed:
        text = "failed: " + "; ".join(f"{c.id} ({c.explanation})" for c in failed)
    else:
        text = f"all {len(judged)} judged hard criteria hold ({len(hard) - len(judged)} n/a)"
    severity: Severity = "ERROR"
    if report.switches:  # a mutation run is meant to break criteria; detects_vulnerability judges
        severity = "WARN"
        text += f" (mutation run with {', '.join(report.switches)}: see detects_vulnerability)"
    return Outcome(
        not failed,
        severity,
        text,
        {"verdict": report.verdict, **_statuses(hard), "failed": len(failed)},
    )


def validity_outcome(report: RunReport) -> Outcome:
    gates = [c for c in report.criteria if c.kind == "gate"]
    failed = [c for c in gates if c.status == "fail"]
    if failed:
        text = "the experiment is not valid: " + "; ".join(
            f"{c.id} ({c.explanation})" for c in failed
        )
    elif report.verdict == "INCONCLUSIVE":
        text = "the runner judged the run inconclusive: " + (" ".join(report.notes) or "no note")
    else:
        text = f"all {len(gates)} validity gates held"
    passed = not failed and report.verdict != "INCONCLUSIVE"
    return Outcome(passed, "ERROR", text, {**_statuses(gates), "failed": len(failed)})


def regression_outcome(report: RunReport, comparisons: list[Comparison]) -> Outcome:
    if report.switches:
        return Outcome(True, "WARN", "mutation run: not compared with the baseline")
    compared = [c for c in comparisons if c.baseline is not None]
    if not compared:
        return Outcome(
            True,
            "WARN",
            f"no baseline yet: no earlier PASS run of {report.scenario_id} at size "
            f"{report.size} against {report.target}",
            {"baseline_runs": 0},
        )
    worse = [c for c in compared if c.worse]
    metadata: dict[str, str | int | float] = {
        "baseline_runs": max(len(c.baseline.run_ids) for c in compared if c.baseline)
    }
    for c in compared:
        assert c.baseline is not None
        metadata[c.metric.label] = c.current
        metadata[f"{c.metric.label}_baseline"] = c.baseline.median
        if c.delta_pct is not None:
            metadata[f"{c.metric.label}_delta_pct"] = round(c.delta_pct, 2)
    limit = f"{REGRESSION_TOLERANCE:.0%}"
    if worse:
        text = f"worse than the baseline by more than {limit}: " + "; ".join(
            f"{c.metric.label} {c.current:g} vs median {c.baseline.median:g}"
            for c in worse
            if c.baseline
        )
    else:
        text = f"{len(compared)} metrics within {limit} of the baseline median"
    return Outcome(not worse, "WARN", text, metadata)


def detects_vulnerability_outcome(report: RunReport) -> Outcome:
    """Each switch of the run judged by `botruntime.runs.judge_switch` (the sweep's rule)."""
    if not report.switches:
        return Outcome(True, "ERROR", "not a mutation run: no simnet switch was on")
    metadata: dict[str, str | int | float] = {}
    missed, warned = [], []
    for switch in report.switches:
        status, detail = judge_switch(report, switch)
        metadata[switch] = detail if status == "killed" else f"{status}: {detail}"
        if status == "survived" and is_catch_all(report, switch):
            warned.append(switch)  # nothing promised to catch it: the catch-all's WARN
        elif status != "killed":
            missed.append(f"{switch} {status}")
    if missed:
        text = f"mutant not killed: {', '.join(missed)} — the scenario missed a broken defence"
        return Outcome(False, "ERROR", text, metadata)
    if warned:
        text = f"catch-all mutant survived: no criterion caught {', '.join(warned)}"
        return Outcome(False, "WARN", text, metadata)
    return Outcome(
        True, "ERROR", f"every switch was detected ({', '.join(report.switches)})", metadata
    )


def _statuses(criteria: list[CriterionOutcome]) -> dict[str, str | int | float]:
    return {c.id: c.status for c in criteria}


# -- the Dagster checks ----------------------------------------------------------------------


def build_checks(key: dg.AssetKey) -> list[dg.AssetChecksDefinition]:
    """The four checks of one scenario asset, as one step that finds the run's report once
    and judges it four times (four steps would each fetch it, and each step's start, output and
    success is an event-log write: about 1 s of every run). The UI still shows four checks,
    and any of them can be run on its own (the step runs only the selected ones)."""
    judges: dict[str, Callable[[RunReport, ResultsStore], Outcome]] = {
        "slo": _slo,
        "validity": _validity,
        "regression": _regression,
        "detects_vulnerability": _detects,
    }
    specs = [
        dg.AssetCheckSpec(name, asset=key, blocking=blocking, description=description)
        for name, blocking, description in (
            ("slo", True, "Every hard criterion of the scenario holds."),
            ("validity", True, "Every validity gate held: the experiment was sound."),
            (
                "regression",
                False,
                "Headline metrics within 20 % of the median of the last 7 passing runs "
                "at the same size and target.",
            ),
            (
                "detects_vulnerability",
                True,
                "On mutation runs: a criterion naming each simnet switch failed.",
            ),
        )
    ]
    assert tuple(judges) == CHECK_NAMES == tuple(s.name for s in specs)

    @dg.multi_asset_check(specs=specs, name=f"{'__'.join(key.path)}_checks", can_subset=True)
    def _checks(
        context: dg.AssetCheckExecutionContext, results: ResultsStoreResource
    ) -> Iterator[dg.AssetCheckResult]:
        report = _checked_report(context, key, results.store)
        for check_key in sorted(context.selected_asset_check_keys, key=_in_order):
            outcome = judges[check_key.name](report, results.store)
            yield _result(check_key, outcome)

    return [_checks]


def _in_order(check_key: dg.AssetCheckKey) -> int:
    return CHECK_NAMES.index(check_key.name)


def _slo(report: RunReport, _store: ResultsStore) -> Outcome:
    return slo_outcome(report)


def _validity(report: RunReport, _store: ResultsStore) -> Outcome:
    return validity_outcome(report)


def _detects(report: RunReport, _store: ResultsStore) -> Outcome:
    return detects_vulnerability_outcome(report)


def _regression(report: RunReport, store: ResultsStore) -> Outcome:
    found = store.baselines(
        report.scenario_id,
        size=report.size,
        target=report.target,
        metrics=[m.key for m in HEADLINE if m.regression],  # one read of the history for all
        before_s=report.started_at_s,
        exclude_run_id=report.run_id,
    )
    return regression_outcome(report, compare(report, found.get))


def _checked_report(
    context: dg.AssetCheckExecutionContext, key: dg.AssetKey, store: ResultsStore
) -> RunReport:
    """The report behind this run's materialization (or the latest, when only checks re-run)."""
    records = context.instance.fetch_materializations(key, limit=20).records  # newest first
    mine = next((r for r in records if r.run_id == context.run.run_id), None)
    record = mine or (records[0] if records else None)
    if record is None or record.asset_materialization is None:
        raise dg.Failure(f"{key.to_user_string()} has no materialization to check yet")
    run_id = record.asset_materialization.metadata.get("run_id")
    if run_id is None:
        raise dg.Failure(f"{key.to_user_string()}'s materialization names no testbots run_id")
    return store.get(str(run_id.value))


def _result(check_key: dg.AssetCheckKey, outcome: Outcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=check_key.asset_key,
        check_name=check_key.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity[outcome.severity],
        description=outcome.description,
        metadata=outcome.metadata,
    )
