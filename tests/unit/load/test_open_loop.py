"""The open-loop executor on a real event loop: timing, blocked and dropped arrivals,
failures, drain."""

from __future__ import annotations

import asyncio
import time

import pytest

from botruntime.load import LoopReport, OpenLoop, constant
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


async def _run_stuck(
    loop: OpenLoop, release: asyncio.Event, busy: asyncio.Event, hold_s: float
) -> LoopReport:
    """Run `loop` until its slots are busy, keep them busy `hold_s` more, then free them."""
    async with asyncio.TaskGroup() as tg:
        running = tg.create_task(loop.run(), name="open-loop")
        async with asyncio.timeout(5):
            await busy.wait()
        await asyncio.sleep(hold_s)
        release.set()
    return running.result()


class _Stuck:
    """An action that holds its slot until released, as a bot waiting for its commit does."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.release = asyncio.Event()
        self.busy = asyncio.Event()
        self.intended: list[float] = []
        self.waited_s: list[float] = []

    async def __call__(self, intended_ts: float, slot: int) -> None:
        self.intended.append(intended_ts)
        self.waited_s.append(time.perf_counter() - intended_ts)
        if len(self.intended) >= self.slots:
            self.busy.set()
        await self.release.wait()


async def test_an_arrival_finding_every_slot_busy_is_blocked_then_placed_with_its_time() -> None:
    rec = Recorder()
    stuck = _Stuck(slots=2)
    loop = OpenLoop(
        constant(400, 0.05), stuck, role="payers", slots=2, recorder=rec, queue_limit=20
    )
    start = time.perf_counter()
    report = await _run_stuck(loop, stuck.release, stuck.busy, hold_s=0.08)
    assert (report.offered, report.blocked, report.blocked_abandoned) == (20, 18, 0)
    assert report.dropped == 0  # the generator kept its schedule: nothing is its fault
    assert len(stuck.intended) == 20  # every blocked arrival ran once a slot came free
    due = [round(t - stuck.intended[0], 6) for t in stuck.intended]
    assert due == [round(i / 400, 6) for i in range(20)]  # in order, each with its own time
    assert min(stuck.waited_s[2:]) >= 0.08 - 0.05  # its latency clock ran while it waited
    assert time.perf_counter() - start < 5
    run = _merged(rec)
    assert run.count("n.blocked", {"role": "payers"}) == 18
    assert run.count("dropped", {"role": "payers"}) == 0
    assert run.count("wait.blocked", {"role": "payers"}) == 18
    waited = run.quantile_s("wait.blocked", {"role": "payers"}, 0.0)
    assert waited is not None and waited >= 0.08 - 0.05


async def test_the_blocked_queue_holds_one_arrival_per_slot_by_default() -> None:
    rec = Recorder()
    stuck = _Stuck(slots=2)
    loop = OpenLoop(constant(400, 0.05), stuck, role="payers", slots=2, recorder=rec)
    report = await _run_stuck(loop, stuck.release, stuck.busy, hold_s=0.08)
    # 2 start, 18 blocked: 2 wait (one per slot) and run later, 16 find the queue full
    assert (report.offered, report.blocked, report.blocked_abandoned) == (20, 18, 16)
    assert len(stuck.intended) == 4 and report.dropped == 0
    run = _merged(rec)
    assert run.count("n.blocked_abandoned", {"role": "payers"}) == 16
    assert run.count("gen.offered", {"role": "payers"}) == 20


async def test_a_blocked_arrival_that_waited_past_max_wait_is_abandoned_not_sent() -> None:
    rec = Recorder()
    stuck = _Stuck(slots=2)
    loop = OpenLoop(
        constant(400, 0.05),
        stuck,
        role="payers",
        slots=2,
        recorder=rec,
        queue_limit=20,
        max_wait_s=0.05,
    )
    report = await _run_stuck(loop, stuck.release, stuck.busy, hold_s=0.2)
    assert (report.blocked, report.blocked_abandoned) == (18, 18)
    assert len(stuck.intended) == 2 and report.dropped == 0


async def test_an_arrival_the_generator_reached_too_late_is_dropped_not_sent() -> None:
    rec = Recorder()
    started: list[float] = []

    async def first_stalls_the_loop(intended_ts: float, slot: int) -> None:
        started.append(intended_ts)
        if len(started) == 1:
            time.sleep(0.3)  # noqa: ASYNC251 (the point: the generator's own loop stops)

    loop = OpenLoop(
        constant(100, 0.5),
        first_stalls_the_loop,
        role="r",
        slots=50,
        recorder=rec,
        late_limit_s=0.1,
    )
    start = time.perf_counter() + 0.01
    report = await loop.run(start)
    # arrivals due in the first ~0.2 s of the stall came more than 0.1 s late: dropped
    assert report.offered == 50 and report.blocked == 0
    assert 12 <= report.dropped <= 25, report
    assert len(started) == 50 - report.dropped
    run = _merged(rec)
    assert run.count("dropped", {"role": "r"}) == report.dropped
    assert run.count("gen.schedule_lag", {"role": "r"}) == 50  # every arrival's lateness
    late = run.quantile_s("gen.schedule_lag", {"role": "r"}, 1.0)
    assert late is not None and late >= 0.2


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
