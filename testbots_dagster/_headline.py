"""How a run's headline numbers compare with the baseline of earlier passing runs.

The headline table itself (labels, summary keys, which way is better) is
`botruntime.runs.headline`, shared with `testbots history`; it is re-exported here for the
asset metadata, the `regression` check and the `regression_report` asset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from botruntime.runs import RunReport
from botruntime.runs.headline import HEADLINE, Metric, headline
from testbots_dagster.results_store import Baseline

__all__ = ["HEADLINE", "REGRESSION_TOLERANCE", "Comparison", "Metric", "compare", "headline"]

REGRESSION_TOLERANCE: Final = 0.20  # SCENARIOS.md §1.4: more than 20 % worse is a WARN


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
