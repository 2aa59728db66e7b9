"""A runner with no network: the real executor and recorder, a synthetic action.

`SyntheticRunner` runs an assignment exactly as the fleet would schedule it (botruntime.load's
OpenLoop over the assignment's share of each open-loop role's plan, metrics through
botruntime.metrics' Recorder and IntervalPump) but each action is an awaited sleep of a service
time. It tests a cluster (`testbots worker --runner synthetic`) without a chain. Closed-loop and
trace roles are not run by it (they need bots with behaviour).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import yaml

from botruntime.cluster._share import plan_share
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    RunnerGauges,
)
from botruntime.fleet import role_plan
from botruntime.load import Action, ArrivalPlan, OpenLoop, Share
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder
from botruntime.scenario import ClosedLoad, Scenario

__all__ = ["SyntheticRunner", "role_plans"]


def role_plans(scenario: Scenario, size: str, seed: str) -> dict[str, ArrivalPlan | Share]:
    """The arrival plan of each open-loop role at `size`, made as the real fleet makes it."""
    return {
        role.name: role_plan(scenario.load(size, role.name), seed=seed)
        for role in scenario.roles
        if not isinstance(scenario.load(size, role.name), ClosedLoad)
    }


@dataclass(frozen=True, slots=True)
class SyntheticRunner:
    service_time_s: float = 0.005
    interval_s: float = 1.0
    drain_timeout_s: float = 5.0

    async def run(
        self,
        assignment: Assignment,
        emit_delta: DeltaSink,
        stop: asyncio.Event,
        gauges: RunnerGauges,
    ) -> AssignmentResult:
        scenario = Scenario.model_validate(yaml.safe_load(assignment.scenario_yaml))
        plans = role_plans(scenario, assignment.size, assignment.seed)
        bots = scenario.bot_counts(assignment.size)
        total_bots = max(sum(bots.values()), 1)
        recorder = Recorder(source=assignment.assignment_id)
        intents = _Count()

        async def sink(delta: IntervalDelta) -> None:
            emit_delta(delta)

        loops: list[OpenLoop] = []
        for role, plan in plans.items():
            action = _synthetic_action(recorder, role, self.service_time_s, intents)
            slots = max(1, assignment.bot_count * bots.get(role, 0) // total_bots)
            share = plan_share(plan, assignment.share, assignment.plan_from_s)
            loops.append(
                OpenLoop(
                    share if assignment.share else share.before(0.0),
                    action,
                    role=role,
                    slots=slots,
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
    recorder: Recorder, role: str, service_time_s: float, intents: _Count
) -> Action:
    timer = recorder.timer("submit", chain="synthetic", action=role)
    counter = recorder.counter("n.intent", role=role)

    async def action(intended_ts: float, slot: int) -> None:
        intents.n += 1
        counter.add()
        sent = time.perf_counter()
        await asyncio.sleep(service_time_s)
        timer.record(intended_ts, sent, time.perf_counter())

    return action


async def _stop_loops(
    stop: asyncio.Event, loops: list[OpenLoop], recorder: Recorder, gauges: RunnerGauges
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
