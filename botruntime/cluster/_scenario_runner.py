"""The real `FleetRunner`: a worker's bots of a scenario run against the target network.

The worker compiles the run's plan once (`PlanCache`) and its fleet runs the assignment's
part of it: its bots, and per role the arrivals or sessions they carry.
"""

from __future__ import annotations

import asyncio
import time

from botruntime.cluster._loop_stall import LoopStall
from botruntime.cluster._parts import PlanCache
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    MayAct,
    RunnerGauges,
)
from botruntime.fleet import Fleet
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder

__all__ = ["ScenarioRunner"]


class ScenarioRunner:
    """Runs an assignment's bots with the fleet; its counters carry the shadow-ledger outcome."""

    def __init__(self, interval_s: float = 1.0, *, loop_stall: LoopStall | None = None) -> None:
        self.interval_s = interval_s
        self.plans = PlanCache()
        self.loop_stall = loop_stall  # a test hook (`_loop_stall.py`); None in real runs

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
        fleet = Fleet(part, recorder, resync_from_chain=assignment.resync_nonces, may_send=may_act)

        async def sink(delta: IntervalDelta) -> None:
            emit_delta(delta)

        try:
            await fleet.setup()
            start_ts = time.perf_counter() + (assignment.start_at_unix_s - time.time())
            pump = IntervalPump(recorder, sink, interval_s=self.interval_s, start_ts=start_ts)
            gauges.bots_running = len(fleet.bots)
            async with asyncio.TaskGroup() as tg:
                pumping = tg.create_task(pump.run(), name=f"pump-{assignment.assignment_id}")
                reporting = tg.create_task(
                    _report_gauges(fleet, gauges), name=f"gauges-{assignment.assignment_id}"
                )
                stalling = None
                if self.loop_stall is not None:
                    stalling = tg.create_task(
                        self.loop_stall.run(start_ts), name=f"stall-{assignment.assignment_id}"
                    )
                try:
                    await fleet.run(start_ts, stop)
                finally:
                    reporting.cancel()
                    if stalling is not None:
                        stalling.cancel()
                    pump.stop()
                    await pumping
            outcome = await fleet.outcome()
        finally:
            gauges.bots_running = 0
            gauges.in_flight = 0
            await fleet.close()
        result = AssignmentOutcome.STOPPED if stop.is_set() else AssignmentOutcome.COMPLETED
        return AssignmentResult(result, outcome.counters(), "; ".join(outcome.details[:5]))


async def _report_gauges(fleet: Fleet, gauges: RunnerGauges) -> None:
    while True:
        gauges.in_flight = sum(fleet.in_flight().values())
        await asyncio.sleep(0.5)
