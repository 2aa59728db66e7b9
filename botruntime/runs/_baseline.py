"""Baselines: what a run is compared with, by one rule (SCENARIOS.md §1.3, §1.4).

A baseline of a figure is the median of that figure over the last `BASELINE_WINDOW` runs that
passed, with no simnet switch on, at the same size against the same target, started before
the run being judged. That rule is `baseline_of`, with pandas, over a `figures_frame` of the
candidate runs; nothing else computes a baseline. `baseline(expr)` in a criterion reads the
baseline of `transfer_baseline`, the reference workload: every run stores the value of each
`baseline(...)` inner expression its criteria name (`RunReport.measures`), so a later run of
any scenario finds it by the expression's canonical text. The results store answers the same
question for the regression check and `regression_report` from its rows, with `baseline_of`.
pandas is imported when a baseline is asked for, not with this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from botruntime.runs.report import ReportError, RunReport
from botruntime.scenario import Baseline as BaselineNode
from botruntime.scenario import Expr, MetricSource, Scenario, evaluate_number, render

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BASELINE_SCENARIO",
    "BASELINE_WINDOW",
    "Baseline",
    "BaselineRow",
    "baseline_exprs",
    "baseline_of",
    "figures_frame",
    "find_baselines",
    "measures",
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


class BaselineRow(Protocol):
    """What the baseline rule reads of a run: a `RunReport` or a results-store row."""

    @property
    def run_id(self) -> str: ...
    @property
    def verdict(self) -> str: ...
    @property
    def switches(self) -> Sequence[str]: ...
    @property
    def size(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def started_at_s(self) -> float: ...


def figures_frame(
    runs: Iterable[BaselineRow], figures: Callable[[Any], Mapping[str, float]]
) -> pd.DataFrame:
    """One row per run: run_id, verdict, mutant, size, target, started_at_s, then one column
    per figure of `figures(run)` (its summary, or its `measures`); the input of `baseline_of`."""
    import pandas as pd

    records = [
        {
            **{str(k): v for k, v in figures(run).items()},
            "run_id": run.run_id,
            "verdict": run.verdict,
            "mutant": bool(tuple(run.switches)),
            "size": run.size,
            "target": run.target,
            "started_at_s": float(run.started_at_s),
        }
        for run in runs
    ]
    columns = ["run_id", "verdict", "mutant", "size", "target", "started_at_s"]
    return pd.DataFrame.from_records(records, columns=None if records else columns)


def baseline_of(
    frame: pd.DataFrame,
    metric: str,
    *,
    size: str,
    target: str,
    before_s: float | None = None,
    exclude_run_id: str | None = None,
    window: int = BASELINE_WINDOW,
) -> Baseline | None:
    """THE baseline rule: the median of `metric` over the newest `window` runs of `frame`
    (a `figures_frame`) that passed with no switch on, at `size` against `target`, started
    before `before_s` and other than `exclude_run_id`, that report it finite; None if none."""
    import numpy as np
    import pandas as pd

    if frame.empty or metric not in frame.columns:
        return None
    keep = (
        (frame["verdict"] == "PASS")
        & ~frame["mutant"].astype(bool)
        & (frame["size"] == size)
        & (frame["target"] == target)
    )
    if before_s is not None:
        keep &= frame["started_at_s"] < before_s
    if exclude_run_id is not None:
        keep &= frame["run_id"] != exclude_run_id
    values = pd.to_numeric(frame[metric], errors="coerce")
    keep &= np.isfinite(values.astype(float))
    picked = (
        pd.DataFrame(
            {"run_id": frame["run_id"], "started_at_s": frame["started_at_s"], "v": values}
        )[keep]
        .sort_values(["started_at_s", "run_id"], ascending=[False, True])
        .head(window)
    )
    if picked.empty:
        return None
    return Baseline(
        metric,
        float(picked["v"].median()),
        tuple(str(r) for r in picked["run_id"]),
        tuple(float(v) for v in picked["v"]),
    )


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
        if report.scenario_id == BASELINE_SCENARIO:
            reports.append(report)
    keys = list(keys)
    if not reports or not keys:
        return {}
    frame = figures_frame(reports, lambda r: r.measures)
    found = {
        key: baseline_of(frame, key, size=size, target=target, before_s=before_s) for key in keys
    }
    return {key: b for key, b in found.items() if b is not None}
