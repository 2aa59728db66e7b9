"""SyntheticRunner: shares of one plan, run side by side, offer the whole plan exactly once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import yaml

from botruntime.cluster import (
    Assignment,
    AssignmentOutcome,
    RunnerGauges,
    ShareLevel,
    SyntheticRunner,
)
from botruntime.metrics import IntervalDelta, RunMetrics
from botruntime.plan import PlanSource, Target, compile_plan

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _scenario(hold_s: float) -> str:
    doc = yaml.safe_load((ROOT / "scenarios" / "transfer_baseline.yaml").read_text())
    doc["sizes"]["smoke"]["load"]["general_user"]["stages"] = [
        {"kind": "hold", "seconds": hold_s, "rate_per_s": 80},
        {"kind": "drain", "seconds": 0.2},
    ]
    return yaml.safe_dump(doc)


def _source(text: str) -> PlanSource:
    return PlanSource(text, "smoke", "1", Target(is_simnet=True), "r")


def _assignment(text: str, index: int, start: float) -> Assignment:
    fingerprint = _source(text).fingerprint()
    return Assignment(
        "r", f"r/a{index}", _source(text), fingerprint, index * 10, 10,
        (ShareLevel(index, (10, 10)),), 0.0, False, start,
    )  # fmt: skip


async def test_two_shares_offer_the_plan_once_and_count_what_they_sent() -> None:
    text = _scenario(hold_s=1.0)
    plan = compile_plan(_source(text)).role("general_user").load
    planned = sum(1 for _ in plan.arrivals())  # type: ignore[union-attr]
    merged = RunMetrics()
    runner = SyntheticRunner(service_time_s=0.001, interval_s=0.5)
    start = time.time() + 0.2
    async with asyncio.TaskGroup() as tg:
        jobs = [
            tg.create_task(
                runner.run(
                    _assignment(text, i, start),
                    merged.ingest,
                    asyncio.Event(),
                    RunnerGauges(),
                    lambda: True,
                )
            )
            for i in (0, 1)
        ]
    results = [job.result() for job in jobs]
    assert [r.outcome for r in results] == [AssignmentOutcome.COMPLETED] * 2
    own = [r.counters["n.intent"] for r in results]
    assert all(n > 0 for n in own)
    assert merged.count("n.intent") == sum(own) == planned


async def test_stop_ends_a_long_plan_promptly() -> None:
    stop = asyncio.Event()
    deltas: list[IntervalDelta] = []
    runner = SyntheticRunner(service_time_s=0.001)
    assignment = _assignment(_scenario(hold_s=60.0), 0, time.time())
    async with asyncio.TaskGroup() as tg:
        job = tg.create_task(
            runner.run(assignment, deltas.append, stop, RunnerGauges(), lambda: True)
        )
        await asyncio.sleep(0.5)
        stop.set()
        async with asyncio.timeout(2.0):
            result = await job
    assert result.outcome is AssignmentOutcome.STOPPED
    assert 0 < result.counters["n.intent"] < 80
    assert deltas and all(d.source == "r/a0" for d in deltas)  # the last partial one included
