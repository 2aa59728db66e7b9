"""A small in-memory MetricSource for one-module unit tests of expressions and verdicts.

The real recorder (botruntime.metrics) is built separately; this fake keeps raw samples and
computes nearest-rank quantiles, which is enough to check what the evaluator asks and does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from botruntime.scenario import MetricSource, Window, route_matches


@dataclass
class MemorySource:
    values: dict[str, float] = field(default_factory=dict)
    # (metric, labels, t_s, value): one latency sample or one counter increment
    samples: list[tuple[str, dict[str, str], float, float]] = field(default_factory=list)
    routes: dict[str, bool] | None = None
    baselines: dict[str, float] = field(default_factory=dict)
    window: Window | None = field(default_factory=lambda: Window(0.0, 60.0))
    asked: list[str] = field(default_factory=list)
    why_missing: dict[str, str] = field(default_factory=dict)

    def _select(self, metric: str, labels: Mapping[str, str], window: Window | None) -> list[float]:
        return [
            value
            for name, own, t_s, value in self.samples
            if name == metric
            and labels.items() <= own.items()
            and (window is None or window.start_s <= t_s < window.end_s)
        ]

    def quantile(
        self, metric: str, labels: Mapping[str, str], q: float, window: Window | None = None
    ) -> float | None:
        self.asked.append(f"quantile {metric} {dict(labels)} {q} {window}")
        selected = sorted(self._select(metric, labels, window))
        if not selected:
            return None
        rank = max(0, math.ceil(q * len(selected)) - 1)
        return selected[rank]

    def count(
        self, metric: str, labels: Mapping[str, str], window: Window | None = None
    ) -> float | None:
        self.asked.append(f"count {metric} {dict(labels)} {window}")
        selected = self._select(metric, labels, window)
        known = any(name == metric for name, *_ in self.samples)
        return float(sum(selected)) if known else None

    def value(self, name: str) -> float | None:
        self.asked.append(f"value {name}")
        return self.values.get(name)

    def invariants(self, patterns: Sequence[str]) -> Sequence[tuple[str, bool]] | None:
        if self.routes is None:
            return None
        return [
            (route, ok)
            for route, ok in self.routes.items()
            if any(route_matches(route, pattern) for pattern in patterns)
        ]

    def baseline(self, key: str) -> float | None:
        self.asked.append(f"baseline {key}")
        return self.baselines.get(key)

    def measured_window(self) -> Window | None:
        return self.window

    def missing(self, name: str) -> str | None:
        return self.why_missing.get(name)


GOOD_GATES = {
    "offered_ratio": 0.99,
    "dropped_ratio": 0.0,
    "worker.cpu": 0.4,
    "worker.lost_beyond_policy": 0.0,
    "inv.reachable": 1.0,
    "setup.complete": 1.0,
}


@pytest.fixture
def make_source() -> Callable[..., MemorySource]:
    def make(**kwargs: object) -> MemorySource:
        source = MemorySource(**kwargs)  # type: ignore[arg-type]
        _: MetricSource = source  # the fake satisfies the Protocol
        return source

    return make
