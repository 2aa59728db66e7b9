"""Run an open-loop plan: every arrival at its time, whatever the answers do (DESIGN §5).

The schedule is absolute on `time.perf_counter()`: the loop fires every arrival whose time has
come, then sleeps until the next one, never less than 1 ms (shorter asyncio sleeps overshoot or
spin; uvloop's own clock is a cached millisecond one). Sleeping 1/rate between arrivals instead
never reaches the rate. What becomes of an arrival depends on whose fault a delay is
(SCENARIOS §1.4):

- a slot is free (a bot, a connection): it starts at once, with its intended time;
- every slot is busy, each bot of the role waiting on the network: it is *blocked*
  (`n.blocked{role}`, the network's doing) and waits, oldest first, for the next slot of its
  role to free up. It then starts with its intended time, so its latency includes the wait
  (no coordinated omission), and `wait.blocked{role}` records the wait alone. At most
  `queue_limit` arrivals wait (by default one per slot), and none longer than `max_wait_s`:
  an arrival that finds the queue full or ages out is given up as `n.blocked_abandoned{role}`,
  still the network's doing;
- the loop itself reached it more than `late_limit_s` after its time (its event loop stalled,
  its CPU starved): it is *dropped* (`dropped{role}`, the tool's fault) and never sent, so the
  generator's own lateness never passes for the network's latency.
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
        late_limit_s: float = 1.0,
        max_wait_s: float = 10.0,
        queue_limit: int | None = None,
    ) -> None:
        if slots < 1:
            raise ValueError(
                f"slots must be >= 1 (bots or in-flight cap of role {role!r}), got {slots}"
            )
        if not (late_limit_s > 0 and max_wait_s > 0):
            raise ValueError(
                f"late_limit_s and max_wait_s must be > 0, got {late_limit_s}, {max_wait_s}"
            )
        self._arrivals = arrivals
        self._action = action
        self.role = role
        self.slots = slots
        self._drain_timeout_s = drain_timeout_s
        self._late_limit_s = late_limit_s
        self._max_wait_s = max_wait_s
        self._queue_limit = slots if queue_limit is None else max(queue_limit, 0)
        self._tally = Tally(recorder, role)
        self._lag = recorder.histogram("gen.schedule_lag", role=role)
        self._wait = recorder.histogram("wait.blocked", role=role)
        self._free: deque[int] = deque(range(slots))  # FIFO: work rotates over every bot
        self._waiting: deque[float] = deque()  # intended times of blocked arrivals, oldest first
        self._running: list[asyncio.Task[None] | None] = [None] * slots
        self._tasks: asyncio.TaskGroup | None = None
        self._idle = asyncio.Event()
        self._stopping = False

    @property
    def in_flight(self) -> int:
        return self.slots - len(self._free)

    def stop(self) -> None:
        """Offer no more arrivals; in-flight ones get the drain deadline, waiting ones none."""
        self._stopping = True

    async def run(self, start_ts: float | None = None) -> LoopReport:
        """Fire the arrivals (offsets from `start_ts`, default now), then wait for in-flight
        actions until the plan's end or `drain_timeout_s` after the last arrival, whichever is
        later; what is still running then is cancelled and counted as abandoned."""
        perf = time.perf_counter
        start = perf() if start_ts is None else start_ts
        async with asyncio.TaskGroup() as tg:
            self._tasks = tg
            for _, offset in self._arrivals.arrivals():
                due = start + offset
                wait_s = due - perf()
                while wait_s > 0 and not self._stopping:
                    await asyncio.sleep(min(max(wait_s, _MIN_SLEEP_S), _STOP_CHECK_S))
                    wait_s = due - perf()
                if self._stopping:
                    break
                self._arrive(due, perf())
            deadline = max(start + self._arrivals.duration_s, perf() + self._drain_timeout_s)
            await self._drain(deadline)
        self._tasks = None
        self._give_up_waiting()  # stopped: what still waits is never placed
        return self._tally.report(perf() - start)

    def _arrive(self, due: float, now: float) -> None:
        tally = self._tally
        tally.offered.add()
        tally.n_offered += 1
        late_s = now - due
        self._lag.record_s(late_s)
        if late_s > self._late_limit_s:
            tally.dropped.add()
            tally.n_dropped += 1
        elif self._free:  # a slot is free only while nothing waits
            self._start(due, self._free.popleft())
        else:
            tally.blocked.add()
            tally.n_blocked += 1
            while self._waiting and now - self._waiting[0] > self._max_wait_s:
                self._waiting.popleft()
                tally.abandon_blocked()
            if len(self._waiting) < self._queue_limit:
                self._waiting.append(due)
            else:
                tally.abandon_blocked()

    def _start(self, due: float, slot: int) -> None:
        assert self._tasks is not None, "arrivals start only while run() holds its task group"
        self._running[slot] = self._tasks.create_task(self._one(due, slot), name="arrival")

    async def _one(self, intended_ts: float, slot: int) -> None:
        try:
            await self._action(intended_ts, slot)
        except Exception as exc:  # an action must record its own outcome; count what escapes
            self._tally.failure(exc)
        finally:
            self._running[slot] = None
            self._hand_over(slot)

    def _hand_over(self, slot: int) -> None:
        """A slot came free: the oldest blocked arrival still worth placing takes it."""
        now = time.perf_counter()
        while self._waiting and not self._stopping:
            due = self._waiting.popleft()
            if now - due > self._max_wait_s:
                self._tally.abandon_blocked()
                continue
            self._wait.record_s(now - due)
            self._start(due, slot)
            return
        self._free.append(slot)
        if len(self._free) == self.slots:
            self._idle.set()

    def _give_up_waiting(self) -> None:
        while self._waiting:
            self._waiting.popleft()
            self._tally.abandon_blocked()

    async def _drain(self, deadline: float) -> None:
        if self.in_flight == 0:
            return
        self._idle.clear()
        try:
            async with asyncio.timeout(max(deadline - time.perf_counter(), 0.0)):
                await self._idle.wait()
        except TimeoutError:
            self._stopping = True  # a cancelled action hands its slot to no one
            self._give_up_waiting()
            for task in self._running:
                if task is not None:
                    task.cancel()
                    self._tally.abandoned.add()
                    self._tally.n_abandoned += 1
