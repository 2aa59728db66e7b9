"""A rate that changes piecewise linearly over time, and the inverse of its running total.

Arrival k of a plan happens when the expected number of arrivals so far, Λ(t) = ∫ rate, reaches
k (evenly spaced plans) or a running sum of exponential gaps (Poisson plans). On a segment where
the rate goes linearly from a to a + b·T, Λ(t) = a·t + b·t²/2, solved for t in the stable form
t = 2x / (a + sqrt(a² + 2·b·x)), which also holds for a constant rate (b = 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from botruntime.load._errors import PlanError

__all__ = ["RateProfile", "Span", "Stage"]

Span = tuple[float, float]
"""[start_s, end_s) from the start of the run."""


@dataclass(frozen=True, slots=True)
class Stage:
    """`ramp 10s -> 50/s`, `hold 40s @ 50/s`, `drain 10s` (SCENARIOS §1.2)."""

    kind: Literal["ramp", "hold", "drain"]
    seconds: float
    rate_per_s: float | None = None


@dataclass(frozen=True, slots=True)
class _Segment:
    start_s: float
    seconds: float
    rate0: float  # per second, at start_s
    slope: float  # per second, per second
    before: float  # Λ at start_s


class RateProfile:
    def __init__(self, stages: Sequence[Stage]) -> None:
        if not stages:
            raise PlanError("give at least one stage, e.g. Stage('hold', 60, 50)", field="stages")
        segments = []
        start = total = rate = 0.0
        for i, stage in enumerate(stages):
            field = f"stages[{i}] ({stage.kind})"
            if not (stage.seconds > 0 and math.isfinite(stage.seconds)):
                raise PlanError(f"seconds must be > 0, got {stage.seconds}", field=field)
            if stage.kind == "drain":
                target = 0.0
                rate = 0.0  # a drain offers nothing: in-flight work is only finishing
            elif stage.rate_per_s is None or not stage.rate_per_s >= 0:
                raise PlanError(
                    f"needs rate_per_s >= 0, e.g. rate_per_s=50 (got {stage.rate_per_s})",
                    field=field,
                )
            else:
                target = stage.rate_per_s
                if stage.kind == "hold":
                    rate = target
            slope = (target - rate) / stage.seconds
            segments.append(_Segment(start, stage.seconds, rate, slope, total))
            total += rate * stage.seconds + slope * stage.seconds**2 / 2
            start += stage.seconds
            rate = target
        self.stages = tuple(stages)
        self._segments = tuple(segments)
        spans = [
            (seg.start_s, seg.start_s + seg.seconds, stage.kind)
            for seg, stage in zip(segments, stages, strict=True)
        ]
        holds = tuple((a, b) for a, b, kind in spans if kind == "hold")
        sent_until = max((b for _, b, kind in spans if kind != "drain"), default=0.0)
        # [start_s, end_s) of each hold stage; a profile with none (a pure ramp) is judged
        # over all it sends (SCENARIOS §1.4 G1)
        self.hold_windows: tuple[Span, ...] = holds or (
            ((0.0, sent_until),) if sent_until > 0 else ()
        )
        self.duration_s = start
        self.total = total  # Λ(duration): the expected number of arrivals

    def cumulative(self, t: float) -> float:
        """Λ(t): expected arrivals in [0, t)."""
        for seg in reversed(self._segments):
            if t >= seg.start_s:
                dt = min(t - seg.start_s, seg.seconds)
                return seg.before + seg.rate0 * dt + seg.slope * dt * dt / 2
        return 0.0

    def invert(self, xs: Iterator[float]) -> Iterator[float]:
        """t with Λ(t) = x for each x of an ascending sequence, while x < Λ(duration)."""
        segments = iter(self._segments)
        seg = next(segments)
        end = seg.before + seg.rate0 * seg.seconds + seg.slope * seg.seconds**2 / 2
        for x in xs:
            if x >= self.total - 1e-9:
                return
            while x >= end:
                seg = next(segments)
                end = seg.before + seg.rate0 * seg.seconds + seg.slope * seg.seconds**2 / 2
            local = x - seg.before
            if local <= 0.0:
                yield seg.start_s
                continue
            root = math.sqrt(max(seg.rate0 * seg.rate0 + 2.0 * seg.slope * local, 0.0))
            yield seg.start_s + min(2.0 * local / (seg.rate0 + root), seg.seconds)
