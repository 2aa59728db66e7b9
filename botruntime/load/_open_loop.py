"""Run an open-loop plan: every arrival at its time, whatever the answers do (DESIGN §5).

The schedule is absolute on `time.perf_counter()`: the loop fires every arrival whose time has
come, then sleeps until the next one, never less than 1 ms (shorter asyncio sleeps overshoot or
spin; uvloop's own clock is a cached millisecond one). Sleeping 1/rate between arrivals instead
never reaches the rate. An arrival takes a free slot (a bot, a connection) or, if every slot is
busy, is counted as `dropped{role}`: the rate is kept and the shortfall is on record.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from botruntime.load._plans import Arrivals
from botruntime.load._tally import Action, LoopReport, Tally
from botruntime.metrics import Recorder

__all__ = ["OpenLoop"]

_MIN_SLEEP_S = 0.001
_STOP_CHECK_S = 0.25  # a long gap in a trace is slept in pieces, so stop() is seen


class OpenLoop:
    def __init__(
        self,
        arrivals: Arrivals,
        action: Action,
        *,
        role: str,
        slots: int,
        recorder: Recorder,
        drain_timeout_s: float = 10.0,
    ) -> None:
        if slots < 1:
            raise ValueError(
                f"slots must be >= 1 (bots or in-flight cap of role {role!r}), got {slots}"
            )
        self._arrivals = arrivals
        self._action = action
        self.role = role
        self.slots = slots
        self._drain_timeout_s = drain_timeout_s
        self._tally = Tally(recorder, role)
        self._lag = recorder.histogram("gen.schedule_lag", role=role)
        self._free: deque[int] = deque(range(slots))  # FIFO: work rotates over every bot
        self._running: list[asyncio.Task[None] | None] = [None] * slots
        self._idle = asyncio.Event()
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return self.slots - len(self._free)

    def stop(self) -> None:
        """Offer no more arrivals; in-flight ones get the drain deadline."""
        self._stopping = True

    async def run(self, start_ts: float | None = None) -> LoopReport:
        """Fire the arrivals (offsets from `start_ts`, default now), then wait for in-flight
        actions until the plan's end or `drain_timeout_s` after the last arrival, whichever is
        later; what is still running then is cancelled and counted as abandoned."""
        perf = time.perf_counter
        start = perf() if start_ts is None else start_ts
        tally = self._tally
        async with asyncio.TaskGroup() as tg:
            for _, offset in self._arrivals.arrivals():
                due = start + offset
                wait_s = due - perf()
                while wait_s > 0 and not self._stopping:
                    await asyncio.sleep(min(max(wait_s, _MIN_SLEEP_S), _STOP_CHECK_S))
                    wait_s = due - perf()
                if self._stopping:
                    break
                tally.offered.add()
                tally.n_offered += 1
                if self._free:
                    slot = self._free.popleft()
                    self._running[slot] = tg.create_task(self._one(due, slot), name="arrival")
                else:
                    tally.dropped.add()
                    tally.n_dropped += 1
            deadline = max(start + self._arrivals.duration_s, perf() + self._drain_timeout_s)
            await self._drain(deadline)
        return tally.report(perf() - start)

    async def _one(self, intended_ts: float, slot: int) -> None:
        self._lag.record_s(time.perf_counter() - intended_ts)
        try:
            await self._action(intended_ts, slot)
        except Exception as exc:  # an action must record its own outcome; count what escapes
            self._tally.failure(exc)
        finally:
            self._running[slot] = None
            self._free.append(slot)
            if len(self._free) == self.slots:
                self._idle.set()

    async def _drain(self, deadline: float) -> None:
        if self.in_flight == 0:
            return
        self._idle.clear()
        try:
            async with asyncio.timeout(max(deadline - time.perf_counter(), 0.0)):
                await self._idle.wait()
        except TimeoutError:
            for task in self._running:
                if task is not None:
                    task.cancel()
                    self._tally.abandoned.add()
                    self._tally.n_abandoned += 1
