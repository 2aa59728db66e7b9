"""The real `FleetRunner`: a worker's bots of a scenario run against the target network.

The coordinator splits a run by bot counts (contiguous ranges, `_placement.py`), but a
scenario's roles own different bot ranges, so each role's plan is split here by how many of
*that role's* bots each range holds: every arrival of a role lands on a worker that has bots
of that role, and the shares of all workers together are exactly the role's plan, at every
level of a rebalance.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import yaml

from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    RunnerGauges,
    ShareLevel,
)
from botruntime.fleet import Fleet, FleetSpec, role_bots
from botruntime.load import ArrivalPlan, Share
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder
from botruntime.runs._target import parse_target
from botruntime.scenario import Scenario
from botruntime.wallet import Denom

__all__ = ["ScenarioRunner", "role_share"]


def _split(span: range, weights: Sequence[int]) -> list[range]:
    out, start = [], span.start
    for weight in weights:
        out.append(range(start, start + weight))
        start += weight
    return out


def _overlap(a: range, b: range) -> int:
    return max(0, min(a.stop, b.stop) - max(a.start, b.start))


def role_share(
    plan: ArrivalPlan | Share,
    role_range: range,
    total_bots: int,
    levels: Sequence[ShareLevel],
    from_s: float,
) -> Share:
    """The arrivals of one role's `plan` that this assignment runs."""
    share = plan.whole() if isinstance(plan, ArrivalPlan) else plan
    span = range(total_bots)
    for level in levels:
        parts = _split(span, level.weights)
        counts = [_overlap(role_range, part) for part in parts]
        if counts[level.index] == 0:
            return share.before(0.0)  # no bot of this role here: its arrivals run elsewhere
        nonzero = [c for c in counts if c]
        share = share.split(nonzero)[sum(1 for c in counts[: level.index] if c)]
        span = parts[level.index]
    return share.after(from_s)


class ScenarioRunner:
    """Runs an assignment's bots with the fleet; its counters carry the shadow-ledger outcome."""

    def __init__(self, interval_s: float = 1.0) -> None:
        self.interval_s = interval_s

    async def run(
        self,
        assignment: Assignment,
        emit_delta: DeltaSink,
        stop: asyncio.Event,
        gauges: RunnerGauges,
    ) -> AssignmentResult:
        scenario = Scenario.model_validate(yaml.safe_load(assignment.scenario_yaml))
        size = scenario.size(assignment.size)
        target = parse_target(",".join(assignment.targets))
        ranges = role_bots(scenario.roles, size.bots)

        def part(role: str, plan: ArrivalPlan | Share) -> ArrivalPlan | Share:
            if not assignment.share:  # a spawned bot: no arrivals of the plan
                return (plan.whole() if isinstance(plan, ArrivalPlan) else plan).before(0.0)
            return role_share(
                plan, ranges[role], size.bots, assignment.share, assignment.plan_from_s
            )

        spec = FleetSpec(
            run_id=assignment.run_id,
            run_seed=assignment.seed,
            scenario=scenario,
            size_name=assignment.size,
            alpha_urls=target.alpha,
            delta_urls=target.delta,
            bot_range=assignment.bot_indices,
            plan_part=part,
            funding={Denom(d): v for d, v in scenario.limits.max_spend_per_bot.items()},
            client_id=f"testbots-{assignment.run_id}-{assignment.assignment_id}",
            resync_from_chain=assignment.resync_nonces,
        )
        recorder = Recorder(source=assignment.assignment_id)
        fleet = Fleet(spec, recorder)

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
                try:
                    await fleet.run(start_ts, stop)
                finally:
                    reporting.cancel()
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
