"""A runner with no network: the real executor and recorder, a synthetic action.

`SyntheticRunner` runs an assignment exactly as the fleet would schedule it (botruntime.load's
OpenLoop or ClosedLoop over the assignment's part of each role's plan, metrics through
botruntime.metrics' Recorder and IntervalPump) but each action is an awaited sleep of a service
time. It tests a cluster (`testbots worker --runner synthetic`) without a chain.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from botruntime.cluster._parts import PlanCache
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    MayAct,
    RunnerGauges,
)
from botruntime.load import Action, ClosedLoop, OpenLoop, SessionRange
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder

__all__ = ["SyntheticRunner"]


@dataclass(frozen=True, slots=True)
class SyntheticRunner:
    service_time_s: float = 0.005
    interval_s: float = 1.0
    drain_timeout_s: float = 5.0
    plans: PlanCache = field(default_factory=PlanCache)

    async def run(
        self,
        assignment: Assignment,
        emit_delta: DeltaSink,
        stop: asyncio.Event,
        gauges: RunnerGauges,
        may_act: MayAct,
    ) -> AssignmentResult:
        part = self.plans.part(assignment)
        recorder = Recorder(source=assignment.assignment_id)
        intents = _Count()

        async def sink(delta: IntervalDelta) -> None:
            emit_delta(delta)

        loops: list[OpenLoop | ClosedLoop] = []
        for role in part.roles:
            action = _synthetic_action(
                recorder, role.role.name, self.service_time_s, intents, may_act
            )
            if isinstance(role.load, SessionRange):
                loops.append(ClosedLoop(role.load, action, role=role.role.name, recorder=recorder))
                continue
            loops.append(
                OpenLoop(
                    role.load,
                    action,
                    role=role.role.name,
                    slots=max(1, len(role.bots) * role.role.max_in_flight_per_bot),
                    recorder=recorder,
                    drain_timeout_s=self.drain_timeout_s,
                )
            )
        start_ts = time.perf_counter() + (assignment.start_at_unix_s - time.time())
        pump = IntervalPump(recorder, sink, interval_s=self.interval_s, start_ts=start_ts)
        gauges.bots_running = assignment.bot_count
        async with asyncio.TaskGroup() as tg:
            pump_task = tg.create_task(pump.run(), name=f"pump-{assignment.assignment_id}")
            watcher = tg.create_task(
                _stop_loops(stop, loops, recorder, gauges), name=f"stop-{assignment.assignment_id}"
            )
            reports = await asyncio.gather(*(loop.run(start_ts=start_ts) for loop in loops))
            watcher.cancel()
            pump.stop()
            await pump_task
        gauges.bots_running = 0
        gauges.in_flight = 0
        counters = {
            "n.intent": intents.n,
            "gen.offered": sum(r.offered for r in reports),
            "dropped": sum(r.dropped for r in reports),
        }
        outcome = AssignmentOutcome.STOPPED if stop.is_set() else AssignmentOutcome.COMPLETED
        return AssignmentResult(outcome, counters)


class _Count:
    """The runner's own count, kept apart from the recorder to check the merge against."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


def _synthetic_action(
    recorder: Recorder, role: str, service_time_s: float, intents: _Count, may_act: MayAct
) -> Action:
    timer = recorder.timer("submit", chain="synthetic", action=role)
    counter = recorder.counter("n.intent", role=role)
    fenced = recorder.counter("n.reject", action=role, code="fenced", expected="no")

    async def action(intended_ts: float, slot: int) -> None:
        if not may_act():
            fenced.add()  # the lease lapsed: not ours to send any more
            return
        intents.n += 1
        counter.add()
        sent = time.perf_counter()
        await asyncio.sleep(service_time_s)
        timer.record(intended_ts, sent, time.perf_counter())

    return action


async def _stop_loops(
    stop: asyncio.Event,
    loops: list[OpenLoop | ClosedLoop],
    recorder: Recorder,
    gauges: RunnerGauges,
) -> None:
    """Stop the loops when asked; meanwhile keep the heartbeat's figures fresh."""
    lags = [recorder.histogram("gen.schedule_lag", role=loop.role) for loop in loops]
    while not stop.is_set():
        gauges.in_flight = sum(loop.in_flight for loop in loops)
        gauges.schedule_lag_ms = max(
            (lag.hdr.get_value_at_percentile(99) / 1000 for lag in lags), default=0.0
        )
        try:
            async with asyncio.timeout(0.2):
                await stop.wait()
        except TimeoutError:
            continue
    for loop in loops:
        loop.stop()
