"""What a verdict reads about a finished run: merged metrics, chain-side scalars, invariants.

`RunEvidence` implements the verdict's `MetricSource`: histogram and counter queries go to the
merged `RunMetrics`; scalars (err_rate, completeness, ledger.mismatch, the gates' figures)
are computed once the run is over; invariants are simnet's `/simnet/invariants` at the end.
The gates speak of `worker.*`, the recorder of `gen.*`: the names are mapped here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from botruntime.metrics import RunMetrics
from botruntime.scenario import Window, route_matches

__all__ = ["InvariantReading", "RunEvidence", "recorded_name"]

_SCENARIO_COUNTERS = ("adv.", "mkt.")
_ALIASES: Mapping[str, str] = {
    "worker.loop_lag": "gen.loop_lag",
    "worker.schedule_lag": "gen.schedule_lag",
}


def recorded_name(metric: str) -> str:
    """The name the recorder uses for a metric a criterion names (`worker.*` is `gen.*`)."""
    return _ALIASES.get(metric, metric)


@dataclass(frozen=True, slots=True)
class InvariantReading:
    chain: str
    route: str
    ok: bool
    height: int
    detail: str


@dataclass(slots=True)
class RunEvidence:
    metrics: RunMetrics
    scalars: dict[str, float] = field(default_factory=dict)
    invariant_readings: Sequence[InvariantReading] | None = None
    window: Window | None = None
    baselines: Mapping[str, float] = field(default_factory=dict)
    # scalar -> what was found about it beyond its number (the bots whose ledger differs)
    findings: Mapping[str, Sequence[str]] = field(default_factory=dict)
    # why a scalar or metric the run should have recorded has no value (named in the verdict)
    absent: Mapping[str, str] = field(default_factory=dict)

    def _range(self, window: Window | None) -> range | None:
        span = window or self.window
        if span is None:
            return None
        step = self.metrics.interval_s
        return range(int(span.start_s // step), max(math.ceil(span.end_s / step), 1))

    def quantile(
        self, metric: str, labels: Mapping[str, str], q: float, window: Window | None = None
    ) -> float | None:
        name = recorded_name(metric)
        if name not in {k.name for k in self.metrics.keys(name)}:
            return None
        return self.metrics.quantile_s(name, labels or None, q, self._range(window))

    def count(
        self, metric: str, labels: Mapping[str, str], window: Window | None = None
    ) -> float | None:
        if metric in self.scalars and not labels:
            return self.scalars[metric]
        if not self.metrics.keys(metric):
            # a counter never incremented is 0, not unknown, once the run recorded anything
            return 0.0 if self.metrics.intervals else None
        return float(self.metrics.count(metric, labels or None, self._range(window)))

    def value(self, name: str) -> float | None:
        if name in self.scalars:
            return self.scalars[name]
        if self.metrics.keys(name):
            return float(self.metrics.count(name))
        if name.startswith(_SCENARIO_COUNTERS) and self.metrics.intervals:
            # scenario counters (SCENARIOS.md §1.3) count events: none seen is 0, not unknown
            return 0.0
        return None

    def invariants(self, patterns: Sequence[str]) -> Sequence[tuple[str, bool]] | None:
        if self.invariant_readings is None:
            return None
        return [
            (f"{r.chain}:{r.route}", r.ok)
            for r in self.invariant_readings
            if any(route_matches(r.route, p) for p in patterns)
        ]

    def baseline(self, key: str) -> float | None:
        return self.baselines.get(key)

    def measured_window(self) -> Window | None:
        return self.window

    def missing(self, name: str) -> str | None:
        return self.absent.get(name)
