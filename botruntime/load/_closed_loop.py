"""Closed-loop sessions: each starts its next action only after the last one and a think time.

Throughput is an output here, and latency is measured from when the action actually started:
that is what a closed model means (SCENARIOS §1.2), and why it hides a stalled server (each
session waits out the stall once instead of piling up late arrivals). Use it for human-paced
flows; use `OpenLoop` for independent users.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from botruntime.load._errors import PlanError
from botruntime.load._shares import SPAN, position, split_range
from botruntime.load._tally import Action, LoopReport, Tally
from botruntime.metrics import Recorder

__all__ = ["ClosedLoop", "SessionPlan", "SessionRange", "SessionShare", "ThinkTime"]


@dataclass(frozen=True, slots=True)
class ThinkTime:
    """How long a session waits between actions; a uniform one spans [low_s, 2·mean_s - low_s]."""

    mean_s: float
    kind: Literal["constant", "uniform", "exponential"] = "exponential"
    low_s: float = 0.0

    def __post_init__(self) -> None:
        if not (self.mean_s >= 0 and math.isfinite(self.mean_s)):
            raise PlanError(f"mean_s must be >= 0, got {self.mean_s}", field="think.mean_s")
        if not 0 <= self.low_s <= self.mean_s:
            raise PlanError(f"low_s must be in [0, mean_s], got {self.low_s}", field="think.low_s")

    def draw(self, rng: random.Random) -> float:
        if self.kind == "constant" or self.mean_s == 0:
            return self.mean_s
        if self.kind == "uniform":
            return rng.uniform(self.low_s, 2.0 * self.mean_s - self.low_s)
        return rng.expovariate(1.0 / self.mean_s)


@dataclass(frozen=True, slots=True)
class SessionPlan:
    sessions: int
    think: ThinkTime
    seconds: float
    seed: int = 0
    drain_s: float = 0.0  # after `seconds`, time for the last actions to settle

    @property
    def duration_s(self) -> float:
        return self.seconds + self.drain_s

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise PlanError(f"sessions must be >= 1, got {self.sessions}", field="sessions")
        if not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise PlanError(f"seconds must be > 0, got {self.seconds}", field="seconds")

    def whole(self) -> SessionShare:
        return SessionShare(self)

    def split(self, weights: Sequence[int]) -> list[SessionShare]:
        return self.whole().split(weights)


@dataclass(frozen=True, slots=True)
class SessionShare:
    """The sessions of `plan` whose position is in [lo, hi): split like arrival plans."""

    plan: SessionPlan
    lo: int = 0
    hi: int = SPAN

    def session_ids(self) -> Iterator[int]:
        return (i for i in range(self.plan.sessions) if self.lo <= position(i) < self.hi)

    def split(self, weights: Sequence[int]) -> list[SessionShare]:
        return [
            SessionShare(self.plan, lo, hi) for lo, hi in split_range(self.lo, self.hi, weights)
        ]


@dataclass(frozen=True, slots=True)
class SessionRange:
    """Sessions `first` .. `stop - 1` of `plan`: a share cut by who holds each session's bot
    (a run plan gives session i its own bot, so a worker runs the sessions of its bots)."""

    plan: SessionPlan
    first: int
    stop: int

    def session_ids(self) -> Iterator[int]:
        return iter(range(self.first, self.stop))


class ClosedLoop:
    """One task per session of the share; the action hears the session id as its slot."""

    def __init__(
        self, share: SessionShare | SessionRange, action: Action, *, role: str, recorder: Recorder
    ) -> None:
        self._share = share
        self._action = action
        self.role = role
        self._tally = Tally(recorder, role)
        self._in_flight = 0
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def stop(self) -> None:
        """Start no new action; each session returns when its current one does."""
        self._stopping = True

    async def run(self, start_ts: float | None = None) -> LoopReport:
        start = time.perf_counter() if start_ts is None else start_ts
        end = start + self._share.plan.seconds
        async with asyncio.TaskGroup() as tg:
            for session in self._share.session_ids():
                tg.create_task(self._session(session, start, end), name=f"session-{session}")
        return self._tally.report(time.perf_counter() - start)

    async def _session(self, session: int, start: float, end: float) -> None:
        plan = self._share.plan
        rng = random.Random(f"{plan.seed}/{session}")
        due = start + rng.uniform(0.0, plan.think.mean_s)  # staggered, not in lockstep
        tally = self._tally
        while not self._stopping:
            wait_s = min(due, end) - time.perf_counter()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            began = time.perf_counter()
            if began >= end or self._stopping:
                return
            tally.offered.add()
            tally.n_offered += 1
            self._in_flight += 1
            try:
                await self._action(began, session)
            except Exception as exc:
                tally.failure(exc)
            finally:
                self._in_flight -= 1
            due = time.perf_counter() + plan.think.draw(rng)
