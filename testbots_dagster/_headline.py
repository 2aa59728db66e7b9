"""The headline numbers of a run: which summary keys, under which stable labels, which way is
better, and how a run compares with the baseline of earlier passing runs.

One table serves the asset metadata (the UI plots every numeric label over time, so labels must
never change), the `regression` check and the `regression_report` asset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from botruntime.runs import RunReport
from testbots_dagster.results_store import Baseline

__all__ = ["HEADLINE", "REGRESSION_TOLERANCE", "Comparison", "Metric", "compare", "headline"]

REGRESSION_TOLERANCE: Final = 0.20  # SCENARIOS.md §1.4: more than 20 % worse is a WARN


@dataclass(frozen=True, slots=True)
class Metric:
    label: str  # metadata label, stable forever
    key: str  # RunReport.summary key
    better: Literal["lower", "higher"]
    noise: float  # an absolute change smaller than this is never a regression
    regression: bool = True  # compared with the baseline


HEADLINE: Final = (
    Metric("achieved_rate_per_s", "achieved_rate", "higher", 0.5),
    Metric("offered_rate_per_s", "offered_rate", "higher", 0.5, regression=False),
    Metric("committed_rate_per_s", "committed_rate", "higher", 0.5),
    Metric("p50_submit_ms", "p50_submit_ms", "lower", 2.0),
    Metric("p95_submit_ms", "p95_submit_ms", "lower", 5.0),
    Metric("p99_submit_ms", "p99_submit_ms", "lower", 5.0),
    Metric("p50_commit_ms", "p50_commit_ms", "lower", 20.0),
    Metric("p95_commit_ms", "p95_commit_ms", "lower", 50.0),
    Metric("p99_commit_ms", "p99_commit_ms", "lower", 50.0),
    Metric("error_rate", "err_rate", "lower", 0.001),
    Metric("dropped", "dropped", "lower", 1.0),
    Metric("ledger_mismatch", "ledger_mismatch", "lower", 0.5, regression=False),
)


def headline(summary: Mapping[str, float]) -> dict[str, float]:
    """label -> value for every headline metric of a run summary (absent ones are left out)."""
    out: dict[str, float] = {}
    for m in HEADLINE:
        value = summary.get(m.key)
        if isinstance(value, int | float) and math.isfinite(value):  # NaN: no samples
            out[m.label] = float(value)
    return out


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: Metric
    current: float
    baseline: Baseline | None

    @property
    def delta_pct(self) -> float | None:
        """Signed change against the baseline median, in percent (None without one or at 0)."""
        if self.baseline is None or self.baseline.median == 0:
            return None
        return 100.0 * (self.current - self.baseline.median) / abs(self.baseline.median)

    @property
    def worse(self) -> bool:
        """More than the tolerance worse than the baseline, and by more than noise."""
        if self.baseline is None:
            return False
        base = self.baseline.median
        change = self.current - base if self.metric.better == "lower" else base - self.current
        if change <= self.metric.noise:
            return False
        return base == 0 or change > REGRESSION_TOLERANCE * abs(base)

    @property
    def status(self) -> str:
        if self.baseline is None:
            return "no baseline"
        return "worse" if self.worse else "ok"


def compare(report: RunReport, baseline_of: Callable[[str], Baseline | None]) -> list[Comparison]:
    """Each regression metric of the report next to its baseline (`baseline_of(summary key)`)."""
    values = headline(report.summary)
    return [
        Comparison(m, values[m.label], baseline_of(m.key))
        for m in HEADLINE
        if m.regression and m.label in values
    ]
