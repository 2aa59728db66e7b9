"""The open-loop executor on a real event loop: timing, drops, failures, drain."""

from __future__ import annotations

import asyncio
import time

import pytest

from botruntime.load import OpenLoop, constant
from botruntime.metrics import Recorder, RunMetrics

pytestmark = pytest.mark.anyio


def _merged(rec: Recorder) -> RunMetrics:
    run = RunMetrics()
    run.ingest(rec.flush(0))
    return run


async def test_every_arrival_gets_its_intended_time_and_a_slot() -> None:
    rec = Recorder()
    seen: list[tuple[float, int, float]] = []

    async def action(intended_ts: float, slot: int) -> None:
        seen.append((intended_ts, slot, time.perf_counter()))

    start = time.perf_counter() + 0.01
    report = await OpenLoop(constant(200, 0.5), action, role="r", slots=3, recorder=rec).run(start)
    assert report.offered == 100 and report.dropped == 0 and report.failed == 0
    assert [round(t - start, 6) for t, _, _ in seen] == [round(i / 200, 6) for i in range(100)]
    assert all(ran >= intended for intended, _, ran in seen)  # never early
    assert {slot for _, slot, _ in seen} == {0, 1, 2}  # work rotates over the bots
    assert _merged(rec).count("gen.schedule_lag", {"role": "r"}) == 100


async def test_an_arrival_with_no_free_slot_is_counted_as_dropped() -> None:
    rec = Recorder()
    release = asyncio.Event()
    both_busy = asyncio.Event()
    started = 0

    async def stuck(intended_ts: float, slot: int) -> None:
        nonlocal started
        started += 1
        if started == 2:
            both_busy.set()
        await release.wait()

    loop = OpenLoop(constant(400, 0.05), stuck, role="payers", slots=2, recorder=rec)
    async with asyncio.TaskGroup() as tg:
        running = tg.create_task(loop.run(), name="open-loop")
        async with asyncio.timeout(2):
            await both_busy.wait()
        await asyncio.sleep(0.08)  # every arrival of the plan is due by now
        release.set()
    report = running.result()
    assert (report.offered, started, report.dropped) == (20, 2, 18)
    run = _merged(rec)
    assert run.count("dropped", {"role": "payers"}) == 18
    assert run.count("gen.offered", {"role": "payers"}) == 20


async def test_a_raising_action_is_counted_and_the_run_goes_on() -> None:
    rec = Recorder()

    calls = 0

    async def flaky(intended_ts: float, slot: int) -> None:
        nonlocal calls
        calls += 1
        if calls % 2:
            raise KeyError("bot state")

    report = await OpenLoop(constant(500, 0.1), flaky, role="r", slots=5, recorder=rec).run()
    assert report.offered == 50
    assert report.failed == 25
    assert _merged(rec).count("gen.action_failed", {"error": "KeyError"}) == report.failed


async def test_actions_still_running_at_the_drain_deadline_are_abandoned() -> None:
    rec = Recorder()
    cancelled = 0

    async def hangs(intended_ts: float, slot: int) -> None:
        nonlocal cancelled
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled += 1
            raise

    loop = OpenLoop(
        constant(100, 0.03), hangs, role="r", slots=10, recorder=rec, drain_timeout_s=0.05
    )
    report = await loop.run()
    assert report.abandoned == cancelled == 3
    assert report.elapsed_s < 1.0
    assert loop.in_flight == 0


async def test_stop_ends_the_plan_early() -> None:
    rec = Recorder()

    async def quick(intended_ts: float, slot: int) -> None:
        return None

    loop = OpenLoop(constant(100, 60), quick, role="r", slots=5, recorder=rec)
    async with asyncio.TaskGroup() as tg:
        running = tg.create_task(loop.run(), name="open-loop")
        await asyncio.sleep(0.1)
        loop.stop()
    report = running.result()
    assert 5 <= report.offered <= 30
    assert report.elapsed_s < 1.0
