"""The worker's running assignments: each a task in the worker's TaskGroup, stoppable in 2 s.

Stop sets the assignment's event; a runner still going `stop_grace_s` later is cancelled and
reported as stopped. A runner that raises is reported as failed with the error, and the worker
goes on. Every end is put on the outbox as an AssignmentDone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    FleetRunner,
    MayAct,
    RunnerGauges,
)
from botruntime.metrics import IntervalDelta

__all__ = ["AssignmentSet", "Finished"]

log = logging.getLogger("testbots.worker")


@dataclass(slots=True)
class _Running:
    assignment: Assignment
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    gauges: RunnerGauges = field(default_factory=RunnerGauges)
    forced: bool = False
    task: asyncio.Task[None] | None = None


@dataclass(frozen=True, slots=True)
class Finished:
    assignment: Assignment
    result: AssignmentResult


class AssignmentSet:
    def __init__(
        self,
        tg: asyncio.TaskGroup,
        runner: FleetRunner,
        emit_delta: Callable[[Assignment, IntervalDelta], None],
        on_finished: Callable[[Finished], None],
        *,
        may_act: MayAct,
        stop_grace_s: float = 2.0,
    ) -> None:
        self._may_act = may_act
        self._tg = tg
        self._runner = runner
        self._emit = emit_delta
        self._on_finished = on_finished
        self._grace = stop_grace_s
        self._running: dict[str, _Running] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def __len__(self) -> int:
        return len(self._running)

    def gauges(self) -> RunnerGauges:
        """The heartbeat's view: worst schedule lag, total in-flight and bots."""
        total = RunnerGauges()
        for r in self._running.values():
            total.schedule_lag_ms = max(total.schedule_lag_ms, r.gauges.schedule_lag_ms)
            total.in_flight += r.gauges.in_flight
            total.bots_running += r.gauges.bots_running
        return total

    def start(self, assignment: Assignment) -> None:
        if assignment.assignment_id in self._running:
            raise ProtocolViolation(f"assignment {assignment.assignment_id} is running already")
        entry = _Running(assignment)
        self._running[assignment.assignment_id] = entry
        self._idle.clear()
        entry.task = self._tg.create_task(
            self._run(entry), name=f"assignment-{assignment.assignment_id}"
        )
        log.info(
            "assignment %s: bots %d..%d, share %s, from %.1f s",
            assignment.assignment_id,
            assignment.bot_first,
            assignment.bot_first + assignment.bot_count - 1,
            [(s.index, s.weights) for s in assignment.share],
            assignment.plan_from_s,
        )

    def stop(self, run_id: str = "", assignment_id: str = "") -> int:
        """Ask matching assignments to stop ("" matches all); how many were asked."""
        asked = 0
        for entry in self._running.values():
            a = entry.assignment
            if run_id in ("", a.run_id) and assignment_id in ("", a.assignment_id):
                entry.stop.set()
                asked += 1
        return asked

    async def wait_idle(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def _run(self, entry: _Running) -> None:
        a = entry.assignment
        try:
            async with asyncio.TaskGroup() as tg:
                job = tg.create_task(self._call(entry), name=f"runner-{a.assignment_id}")
                stop_wait = tg.create_task(entry.stop.wait(), name=f"stop-{a.assignment_id}")
                await asyncio.wait({job, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                if not job.done():
                    done, _ = await asyncio.wait({job}, timeout=self._grace)
                    if not done:
                        log.warning(
                            "assignment %s ignored stop for %.1f s", a.assignment_id, self._grace
                        )
                        entry.forced = True
                        job.cancel()
                stop_wait.cancel()
            result = job.result()
        finally:
            del self._running[a.assignment_id]
            if not self._running:
                self._idle.set()
        log.info("assignment %s: %s %s", a.assignment_id, result.outcome, result.detail)
        self._on_finished(Finished(a, result))

    async def _call(self, entry: _Running) -> AssignmentResult:
        a = entry.assignment
        try:
            return await self._runner.run(
                a, lambda delta: self._emit(a, delta), entry.stop, entry.gauges, self._may_act
            )
        except asyncio.CancelledError:
            if entry.forced:
                return AssignmentResult(
                    AssignmentOutcome.STOPPED, detail=f"cancelled {self._grace} s after stop"
                )
            raise
        except Exception as exc:
            log.exception("assignment %s failed", a.assignment_id)
            return AssignmentResult(AssignmentOutcome.FAILED, detail=f"{type(exc).__name__}: {exc}")
