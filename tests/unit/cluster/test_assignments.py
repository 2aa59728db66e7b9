"""A worker's assignments: stop within the grace, cancel what ignores it, report failures."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from botruntime.cluster import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    RunnerGauges,
)
from botruntime.cluster._assignments import AssignmentSet, Finished
from botruntime.metrics import IntervalDelta
from botruntime.plan import PlanSource, Target

pytestmark = pytest.mark.anyio


def _source(run_id: str) -> PlanSource:
    """A run no worker compiles: these tests never reach a runner."""
    return PlanSource("", "smoke", "1", Target(), run_id)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _assignment(n: int) -> Assignment:
    return Assignment("r", f"r/a{n}", _source("r"), "", 0, 1, (), 0.0, False, 0.0)


class ScriptedRunner:
    """Behaves per assignment id: 'polite' stops on request, 'deaf' ignores it, 'broken' raises."""

    def __init__(self, behaviour: dict[str, str]) -> None:
        self.behaviour = behaviour

    async def run(
        self,
        assignment: Assignment,
        emit_delta: DeltaSink,
        stop: asyncio.Event,
        gauges: RunnerGauges,
        may_act: Callable[[], bool],
    ) -> AssignmentResult:
        kind = self.behaviour[assignment.assignment_id]
        gauges.bots_running = 1
        emit_delta(IntervalDelta(assignment.assignment_id, 0))
        if kind == "broken":
            raise RuntimeError("boom")
        if kind == "deaf":
            await asyncio.sleep(3600)
        await stop.wait()
        return AssignmentResult(AssignmentOutcome.STOPPED, {"n.intent": 1})


async def test_stop_reaches_each_runner_and_a_deaf_one_is_cancelled_after_the_grace() -> None:
    finished: list[Finished] = []
    deltas: list[tuple[str, IntervalDelta]] = []
    runner = ScriptedRunner({"r/a1": "polite", "r/a2": "deaf", "r/a3": "broken"})
    async with asyncio.TaskGroup() as tg:
        assignments = AssignmentSet(
            tg, runner, lambda a, d: deltas.append((a.assignment_id, d)), finished.append,
            may_act=lambda: True, stop_grace_s=0.3,
        )  # fmt: skip
        for n in (1, 2, 3):
            assignments.start(_assignment(n))
        await asyncio.sleep(0.05)
        assert assignments.gauges().bots_running == 2  # the broken one is gone already
        loop = asyncio.get_running_loop()
        asked_at = loop.time()
        assert assignments.stop(run_id="r") == 2
        assert await assignments.wait_idle(2.0)
        took = loop.time() - asked_at
    outcomes = {f.assignment.assignment_id: f.result for f in finished}
    assert outcomes["r/a1"] == AssignmentResult(AssignmentOutcome.STOPPED, {"n.intent": 1})
    assert outcomes["r/a2"].outcome is AssignmentOutcome.STOPPED
    assert "cancelled" in outcomes["r/a2"].detail
    assert outcomes["r/a3"].outcome is AssignmentOutcome.FAILED
    assert "RuntimeError: boom" in outcomes["r/a3"].detail
    assert sorted(a for a, _ in deltas) == ["r/a1", "r/a2", "r/a3"]
    assert took >= 0.3  # the deaf runner had its whole grace before it was cancelled
