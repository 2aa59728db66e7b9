"""Open-loop arrival plans: when each arrival is due, generated lazily, never listed.

A plan yields (index, offset_s) in ascending offset order, the same every time it is asked (a
Poisson plan re-seeds), so any worker can regenerate it and keep only its share. A 15-minute
plan at 5,000/s is a few numbers, not 4.5 million floats.

    constant(50, 60)                              50/s for 60 s, evenly spaced
    ramping([Stage("ramp", 10, 50), Stage("hold", 40, 50), Stage("drain", 10)])
    poisson(50, 60, seed=7)  /  poisson_stages(stages, seed=7)
    rounds(every_s=2, count=25, per_round=20)     20 arrivals at once, every 2 s, 25 times
    trace("timeline.csv")                         replay recorded offsets (see _trace.py)
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from botruntime.load._errors import PlanError
from botruntime.load._profile import RateProfile, Span, Stage
from botruntime.load._shares import SPAN, position, split_range

__all__ = [
    "ArrivalPlan",
    "Arrivals",
    "MergedShares",
    "PoissonPlan",
    "ProfilePlan",
    "RoundsPlan",
    "Share",
    "constant",
    "poisson",
    "poisson_stages",
    "ramping",
    "rounds",
]


class Arrivals(Protocol):
    """What an executor runs: a plan, a share of one, or several shares merged."""

    @property
    def duration_s(self) -> float: ...

    def arrivals(self) -> Iterator[tuple[int, float]]: ...


class ArrivalPlan(ABC):
    @property
    @abstractmethod
    def duration_s(self) -> float: ...

    @abstractmethod
    def expected_count(self) -> float:
        """How many arrivals the plan holds (Poisson: on average)."""

    @abstractmethod
    def offsets(self) -> Iterator[float]:
        """Due times in seconds from the start of the run, ascending."""

    @abstractmethod
    def hold_windows(self) -> tuple[Span, ...]:
        """The spans over which the generator must keep up (SCENARIOS §1.4 G1): each hold
        stage, or the whole sending span of a plan without one (a pure ramp, a trace)."""

    def arrivals(self) -> Iterator[tuple[int, float]]:
        return enumerate(self.offsets())

    def whole(self) -> Share:
        return Share(self)

    def split(self, weights: Sequence[int]) -> list[Share]:
        return self.whole().split(weights)


class ProfilePlan(ArrivalPlan):
    """Arrival k at Λ⁻¹(k): evenly spaced at a constant rate, denser as a ramp climbs."""

    def __init__(self, profile: RateProfile) -> None:
        self.profile = profile

    @property
    def duration_s(self) -> float:
        return self.profile.duration_s

    def expected_count(self) -> float:
        return float(math.ceil(self.profile.total - 1e-9))

    def offsets(self) -> Iterator[float]:
        return self.profile.invert(itertools.count(0.0))

    def hold_windows(self) -> tuple[Span, ...]:
        return self.profile.hold_windows


class PoissonPlan(ArrivalPlan):
    """Independent users: exponential gaps (seeded) on the profile's clock."""

    def __init__(self, profile: RateProfile, seed: int) -> None:
        self.profile = profile
        self.seed = seed

    @property
    def duration_s(self) -> float:
        return self.profile.duration_s

    def expected_count(self) -> float:
        return self.profile.total

    def offsets(self) -> Iterator[float]:
        rng = random.Random(self.seed)
        return self.profile.invert(itertools.accumulate(iter(lambda: rng.expovariate(1.0), None)))

    def hold_windows(self) -> tuple[Span, ...]:
        return self.profile.hold_windows


class RoundsPlan(ArrivalPlan):
    """Barrier rounds: `per_round` arrivals due together at `first_s + k·every_s` for each of
    `count` rounds, then `drain_s`. Arrival i belongs to round i // per_round; a share of the
    plan holds part of every round, all due at the round's one instant."""

    def __init__(
        self,
        every_s: float,
        count: int,
        per_round: int,
        *,
        first_s: float = 0.0,
        drain_s: float = 0.0,
    ) -> None:
        if every_s <= 0 or count < 1 or per_round < 1 or first_s < 0 or drain_s < 0:
            raise PlanError(
                f"rounds need every_s > 0, count >= 1, per_round >= 1, first_s and drain_s >= 0; "
                f"got every_s={every_s}, count={count}, per_round={per_round}, "
                f"first_s={first_s}, drain_s={drain_s}",
                field="rounds",
            )
        self.every_s = every_s
        self.count = count
        self.per_round = per_round
        self.first_s = first_s
        self.drain_s = drain_s

    @property
    def duration_s(self) -> float:
        return self.first_s + self.count * self.every_s + self.drain_s

    def expected_count(self) -> float:
        return float(self.count * self.per_round)

    def release_s(self, round_index: int) -> float:
        """The instant round `round_index` is released, in seconds from the run's start."""
        return self.first_s + round_index * self.every_s

    def offsets(self) -> Iterator[float]:
        for k in range(self.count):
            due = self.release_s(k)
            for _ in range(self.per_round):
                yield due

    def hold_windows(self) -> tuple[Span, ...]:
        return ((self.first_s, self.first_s + self.count * self.every_s),)


def rounds(
    every_s: float, count: int, per_round: int, *, first_s: float = 0.0, drain_s: float = 0.0
) -> RoundsPlan:
    return RoundsPlan(every_s, count, per_round, first_s=first_s, drain_s=drain_s)


def constant(rate_per_s: float, seconds: float) -> ProfilePlan:
    return ProfilePlan(RateProfile([Stage("hold", seconds, rate_per_s)]))


def ramping(stages: Sequence[Stage]) -> ProfilePlan:
    return ProfilePlan(RateProfile(stages))


def poisson(rate_per_s: float, seconds: float, seed: int) -> PoissonPlan:
    return PoissonPlan(RateProfile([Stage("hold", seconds, rate_per_s)]), seed)


def poisson_stages(stages: Sequence[Stage], seed: int) -> PoissonPlan:
    return PoissonPlan(RateProfile(stages), seed)


@dataclass(frozen=True, slots=True)
class Share:
    """The arrivals of `plan` whose position is in [lo, hi) and whose offset is in
    [from_s, until_s). Shares of one split never overlap and together are their parent."""

    plan: ArrivalPlan
    lo: int = 0
    hi: int = SPAN
    from_s: float = 0.0
    until_s: float = math.inf

    @property
    def duration_s(self) -> float:
        return min(self.plan.duration_s, self.until_s)

    @property
    def fraction(self) -> float:
        return (self.hi - self.lo) / SPAN

    def arrivals(self) -> Iterator[tuple[int, float]]:
        lo, hi, from_s, until_s = self.lo, self.hi, self.from_s, self.until_s
        whole = lo == 0 and hi == SPAN
        for index, offset in self.plan.arrivals():
            if offset >= until_s:
                return
            if offset >= from_s and (whole or lo <= position(index) < hi):
                yield index, offset

    def hold_windows(self) -> tuple[Span, ...]:
        """The plan's hold windows cut to this share's time span (an active window)."""
        cut = ((max(a, self.from_s), min(b, self.until_s)) for a, b in self.plan.hold_windows())
        return tuple((a, b) for a, b in cut if a < b)

    def split(self, weights: Sequence[int]) -> list[Share]:
        return [
            Share(self.plan, lo, hi, self.from_s, self.until_s)
            for lo, hi in split_range(self.lo, self.hi, weights)
        ]

    def before(self, t_s: float) -> Share:
        """What this share holds before t_s (what a lost worker already had its chance at)."""
        return Share(self.plan, self.lo, self.hi, self.from_s, min(self.until_s, t_s))

    def after(self, t_s: float) -> Share:
        """What this share holds from t_s on: split it over the survivors of a lost worker."""
        return Share(self.plan, self.lo, self.hi, max(self.from_s, t_s), self.until_s)


@dataclass(frozen=True, slots=True)
class MergedShares:
    """Several shares of one plan run by one worker, in time order."""

    shares: tuple[Share, ...]

    def __post_init__(self) -> None:
        if not self.shares:
            raise PlanError("merge at least one share", field="shares")

    @property
    def duration_s(self) -> float:
        return max(s.duration_s for s in self.shares)

    def arrivals(self) -> Iterator[tuple[int, float]]:
        return heapq.merge(*(s.arrivals() for s in self.shares), key=lambda a: (a[1], a[0]))
