"""Baselines: what `baseline(expr)` in a criterion compares with (SCENARIOS.md §1.3).

"baseline" is the latest PASS of `transfer_baseline` on the same target and size, with no
simnet switch on. Every run stores the value of each `baseline(...)` inner expression its
criteria name (`RunReport.measures`), so a later run of any scenario can look the value up by
the expression's canonical text, from the reports under `TESTBOTS_HOME`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from botruntime.runs.report import ReportError, RunReport
from botruntime.scenario import Baseline, Expr, MetricSource, Scenario, evaluate_number, render

__all__ = ["BASELINE_SCENARIO", "baseline_exprs", "find_baseline", "measures"]

BASELINE_SCENARIO = "transfer_baseline"


def _walk(node: object) -> Iterator[object]:
    yield node
    for name in ("left", "right", "operand", "inner", "args"):
        child = getattr(node, name, None)
        if isinstance(child, tuple | list):
            for item in child:
                yield from _walk(item)
        elif child is not None:
            yield from _walk(child)


def baseline_exprs(scenario: Scenario) -> dict[str, Expr]:
    """Canonical text -> expression, for every `baseline(...)` in the scenario's criteria."""
    found: dict[str, Expr] = {}
    for criterion in scenario.verdict.criteria:
        for node in _walk(criterion.tree):
            if isinstance(node, Baseline):
                found[render(node.inner)] = node.inner
    return found


def measures(scenario: Scenario, source: MetricSource) -> dict[str, float]:
    """This run's value of every baseline expression: what a later run compares with."""
    out: dict[str, float] = {}
    for key, expr in baseline_exprs(scenario).items():
        value = evaluate_number(expr, source)
        if value is not None:
            out[key] = value
    return out


def find_baseline(runs_dir: Path, *, size: str, target: str, exclude: str) -> RunReport | None:
    """The latest PASS `transfer_baseline` report for this size and target, switches off."""
    best: RunReport | None = None
    for path in runs_dir.glob("*/report.json"):
        if path.parent.name == exclude:
            continue
        try:
            report = RunReport.read(path)
        except (ReportError, OSError):
            continue
        if (
            report.scenario_id == BASELINE_SCENARIO
            and report.verdict == "PASS"
            and report.size == size
            and report.target == target
            and not report.switches
            and (best is None or report.started_at_s > best.started_at_s)
        ):
            best = report
    return best
