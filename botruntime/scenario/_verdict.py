"""Judge a finished run: gates, then hard and soft criteria, then the regression signal.

Precedence (SCENARIOS.md §1.4, DESIGN §5): a gate that fails or cannot be judged makes the run
INCONCLUSIVE whatever the criteria say (a broken experiment proves nothing either way); else
any enforced hard criterion that fails makes it FAIL, the standard ones (S1 liveness, S2
back-pressure) included, so a network that stalls or pushes back FAILs; else PASS, provided at
least one hard criterion was actually judged (all N/A is INCONCLUSIVE, not a silent PASS).
Soft criteria, criteria a size does not enforce (`smoke`) and N/A hard criteria are warnings.
A numeric criterion more than 20 % worse than its baseline is a regression: a warning, and
exit code 4 when the run otherwise passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Literal

from ._expr_ast import Baseline, BoolOp, Compare, Expr, render
from ._expr_check import value_kind
from ._expr_eval import MetricSource, Outcome, evaluate, evaluate_number, format_value
from ._scenario import Scenario
from ._schema import Criterion, Gate, Size, uses_node

__all__ = ["CriterionResult", "ExitCode", "Regression", "Status", "Verdict", "compute_verdict"]

REGRESSION_TOLERANCE = 0.20


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


class ExitCode(IntEnum):
    """Exit codes of `testbots run` (DESIGN §5)."""

    PASS = 0
    FAIL = 1
    USAGE = 2
    INCONCLUSIVE = 3
    REGRESSION = 4


@dataclass(frozen=True, slots=True)
class Regression:
    criterion_id: str
    key: str
    observed: float
    baseline: float
    explanation: str


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One gate or criterion as judged, with what it means for the verdict (`effect`)."""

    id: str
    kind: Literal["gate", "hard", "soft"]
    expr: str
    description: str
    outcome: Outcome
    enforced: bool
    kills: tuple[str, ...] = ()

    @property
    def effect(self) -> Literal["ok", "FAIL", "WARN", "INCONCLUSIVE", "N/A"]:
        status = self.outcome.status
        if status == "pass":
            return "ok"
        if self.kind == "gate":
            return "INCONCLUSIVE"
        if status == "n/a":
            return "N/A"
        return "FAIL" if self.kind == "hard" and self.enforced else "WARN"


@dataclass(frozen=True, slots=True)
class Verdict:
    scenario_id: str
    size: str
    status: Status
    gates: tuple[CriterionResult, ...]
    criteria: tuple[CriterionResult, ...]
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    regressions: tuple[Regression, ...] = field(default=())

    @property
    def exit_code(self) -> ExitCode:
        if self.status is Status.INCONCLUSIVE:
            return ExitCode.INCONCLUSIVE
        if self.status is Status.FAIL:
            return ExitCode.FAIL
        return ExitCode.REGRESSION if self.regressions else ExitCode.PASS

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        """The hard criteria that made the run FAIL."""
        return tuple(result for result in self.criteria if result.effect == "FAIL")

    @property
    def killed_switches(self) -> frozenset[str]:
        """Switches whose mutant this run killed: the `kills` of every failed hard criterion."""
        return frozenset(switch for result in self.failed for switch in result.kills)

    def summary(self) -> list[str]:
        """Readable lines: the verdict, then every gate and criterion with its value."""
        head = f"{self.scenario_id} [{self.size}]: {self.status.value}"
        if self.status is Status.PASS and self.warnings:
            head += f" with {len(self.warnings)} warning(s)"
        lines = [head, *(f"  because {reason}" for reason in self.reasons)]
        for result in (*self.gates, *self.criteria):
            lines.append(f"  {result.effect:<12} {result.id}: {result.outcome.explanation}")
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return lines

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the report and the results store."""

        def row(result: CriterionResult) -> dict[str, object]:
            return {
                "id": result.id,
                "kind": result.kind,
                "expr": result.expr,
                "status": result.outcome.status,
                "effect": result.effect,
                "enforced": result.enforced,
                "observed": result.outcome.observed,
                "threshold": result.outcome.threshold,
                "explanation": result.outcome.explanation,
                "kills": list(result.kills),
            }

        return {
            "scenario": self.scenario_id,
            "size": self.size,
            "status": self.status.value,
            "exit_code": int(self.exit_code),
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "gates": [row(result) for result in self.gates],
            "criteria": [row(result) for result in self.criteria],
            "killed_switches": sorted(self.killed_switches),
            "regressions": [
                {
                    "criterion": r.criterion_id,
                    "key": r.key,
                    "observed": r.observed,
                    "baseline": r.baseline,
                    "explanation": r.explanation,
                }
                for r in self.regressions
            ],
        }


def compute_verdict(
    scenario: Scenario,
    size: str,
    source: MetricSource,
    *,
    invalid_reasons: Sequence[str] = (),
    regression_tolerance: float = REGRESSION_TOLERANCE,
) -> Verdict:
    """Judge `scenario` at `size` from `source`.

    `invalid_reasons` lets the runner declare the experiment broken for reasons outside the
    metrics (a worker lost under `on_worker_loss: fail`, an aborted run): INCONCLUSIVE.
    """
    judged_size = scenario.size(size)
    gates = tuple(_judge_gate(gate, source) for gate in scenario.verdict.gates)
    criteria = tuple(
        _judge_criterion(criterion, source, judged_size)
        for criterion in scenario.verdict.all_criteria
    )
    reasons = list(invalid_reasons)
    for gate in gates:
        if gate.outcome.status != "pass":
            judged = "failed" if gate.outcome.status == "fail" else "could not be judged"
            reasons.append(f"gate {gate.id} {judged}: {gate.outcome.explanation}")
    failed = [result for result in criteria if result.effect == "FAIL"]
    judged_hard = [
        r for r in criteria if r.kind == "hard" and r.enforced and r.outcome.status != "n/a"
    ]
    if reasons:
        status = Status.INCONCLUSIVE
    elif failed:
        status = Status.FAIL
        reasons += [f"{result.id} failed: {result.outcome.explanation}" for result in failed]
    elif not judged_hard:
        status = Status.INCONCLUSIVE
        reasons.append("no enforced hard criterion could be judged (all N/A or not enforced)")
    else:
        status = Status.PASS
    regressions = [
        found
        for criterion, result in zip(scenario.verdict.all_criteria, criteria, strict=True)
        for found in _regressions(criterion, result, source, regression_tolerance)
    ]
    warnings = [
        f"{result.id} ({'not enforced at this size' if result.kind == 'hard' else 'soft'}): "
        f"{result.outcome.explanation}"
        for result in criteria
        if result.effect == "WARN"
    ]
    warnings += [f"{r.id} N/A: {r.outcome.explanation}" for r in criteria if r.effect == "N/A"]
    warnings += [f"regression in {r.criterion_id}: {r.explanation}" for r in regressions]
    return Verdict(
        scenario.id,
        size,
        status,
        gates,
        criteria,
        tuple(reasons),
        tuple(warnings),
        tuple(regressions),
    )


def _judge_gate(gate: Gate, source: MetricSource) -> CriterionResult:
    return CriterionResult(
        gate.id, "gate", gate.expr, gate.description, evaluate(gate.tree, source), enforced=True
    )


def _judge_criterion(criterion: Criterion, source: MetricSource, size: Size) -> CriterionResult:
    return CriterionResult(
        criterion.id,
        criterion.severity,
        criterion.expr,
        criterion.description,
        evaluate(criterion.tree, source),
        enforced=criterion.enforced_at(size),
        kills=criterion.kills,
    )


def _comparisons(tree: Expr) -> list[Compare]:
    if isinstance(tree, BoolOp) and tree.op == "and":
        return [*_comparisons(tree.left), *_comparisons(tree.right)]
    return [tree] if isinstance(tree, Compare) else []


def _regressions(
    criterion: Criterion, result: CriterionResult, source: MetricSource, tolerance: float
) -> list[Regression]:
    """A baseline-relative soft criterion that failed, or a value > tolerance worse than its
    baseline (for <, <=, >, >= comparisons whose left side has a baseline)."""
    if uses_node(criterion.tree, (Baseline,)):
        if criterion.severity == "soft" and result.outcome.status == "fail":
            observed, threshold = result.outcome.observed, result.outcome.threshold
            if observed is not None and threshold is not None:
                text = result.outcome.explanation
                return [Regression(criterion.id, render(criterion.tree), observed, threshold, text)]
        return []
    found: list[Regression] = []
    for comparison in _comparisons(criterion.tree):
        if comparison.op in ("==", "!="):
            continue
        key = render(comparison.left)
        baseline = source.baseline(key)
        observed = evaluate_number(comparison.left, source)
        if baseline is None or baseline <= 0 or observed is None:
            continue
        lower_is_better = comparison.op in ("<", "<=")
        worse = (
            observed > baseline * (1 + tolerance)
            if lower_is_better
            else observed < baseline * (1 - tolerance)
        )
        if worse:
            is_duration = value_kind(comparison.left) == "duration"
            change = observed / baseline - 1
            text = (
                f"{key} = {format_value(observed, is_duration)} vs baseline "
                f"{format_value(baseline, is_duration)} ({change:+.0%})"
            )
            found.append(Regression(criterion.id, key, observed, baseline, text))
    return found
