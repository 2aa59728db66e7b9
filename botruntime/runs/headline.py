"""The headline figures of a run: which summary keys, under which stable labels, which way is
better. One table serves `testbots history`, the results store's history frame, the Dagster
asset metadata (the UI plots every numeric label over time, so labels never change) and the
regression comparison.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["HEADLINE", "Metric", "headline"]


@dataclass(frozen=True, slots=True)
class Metric:
    label: str  # metadata label and history column, stable forever
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
