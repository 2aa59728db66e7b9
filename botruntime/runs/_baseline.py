"""Baselines: what a run is compared with, by one rule (SCENARIOS.md §1.3, §1.4).

A baseline of a figure is the median of that figure over the last `BASELINE_WINDOW` runs that
passed, with no simnet switch on, at the same size against the same target, started before
the run being judged (`eligible`, `median_baseline`). `baseline(expr)` in a criterion reads the
baseline of `transfer_baseline`, the reference workload: every run stores the value of each
`baseline(...)` inner expression its criteria name (`RunReport.measures`), so a later run of
any scenario finds it by the expression's canonical text. The results store answers the same
question for the regression check from its rows, with the same rule.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from botruntime.runs.report import ReportError, RunReport
from botruntime.scenario import Baseline as BaselineNode
from botruntime.scenario import Expr, MetricSource, Scenario, evaluate_number, render

__all__ = [
    "BASELINE_SCENARIO",
    "BASELINE_WINDOW",
    "Baseline",
    "baseline_exprs",
    "eligible",
    "find_baselines",
    "measures",
    "median_baseline",
]

BASELINE_SCENARIO: Final = "transfer_baseline"
BASELINE_WINDOW: Final = 7  # SCENARIOS.md §1.4: rolling median of the last 7 PASS runs


@dataclass(frozen=True, slots=True)
class Baseline:
    """The median of one figure over the runs that make its baseline."""

    metric: str
    median: float
    run_ids: tuple[str, ...]  # newest first
    values: tuple[float, ...]


def eligible(
    verdict: str,
    switches: Iterable[str],
    *,
    size: str,
    target: str,
    run_size: str,
    run_target: str,
) -> bool:
    """May a run with this verdict, switches, size and target be part of a baseline?"""
    return verdict == "PASS" and not tuple(switches) and run_size == size and run_target == target


def median_baseline(
    rows: Iterable[tuple[str, Mapping[str, float]]], metric: str, window: int = BASELINE_WINDOW
) -> Baseline | None:
    """The median of `figures[metric]` over the first `window` (run id, figures) rows, newest
    first, that report it finite; None if none does."""
    picked: list[tuple[str, float]] = []
    for run_id, figures in rows:
        value = figures.get(metric)
        if isinstance(value, int | float) and math.isfinite(value):
            picked.append((run_id, float(value)))
            if len(picked) == window:
                break
    if not picked:
        return None
    values = tuple(v for _, v in picked)
    return Baseline(metric, statistics.median(values), tuple(r for r, _ in picked), values)


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
            if isinstance(node, BaselineNode):
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


def find_baselines(
    runs_dir: Path,
    keys: Iterable[str],
    *,
    size: str,
    target: str,
    before_s: float,
    exclude: str,
) -> dict[str, Baseline]:
    """The baseline of each `baseline(...)` expression `keys`, from the `transfer_baseline`
    reports under `runs_dir` (what `testbots run` and every Dagster run write)."""
    reports: list[RunReport] = []
    for path in runs_dir.glob("*/report.json"):
        if path.parent.name == exclude:
            continue
        try:
            report = RunReport.read(path)
        except (ReportError, OSError):
            continue
        if (
            report.scenario_id == BASELINE_SCENARIO
            and report.started_at_s < before_s
            and eligible(
                report.verdict,
                report.switches,
                size=size,
                target=target,
                run_size=report.size,
                run_target=report.target,
            )
        ):
            reports.append(report)
    reports.sort(key=lambda r: (-r.started_at_s, r.run_id))
    rows = [(r.run_id, r.measures) for r in reports]
    found = {key: median_baseline(rows, key) for key in keys}
    return {key: b for key, b in found.items() if b is not None}
