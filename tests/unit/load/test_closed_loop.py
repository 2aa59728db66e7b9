"""Closed-loop sessions: one action at a time per session, think time between."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from botruntime.load import ClosedLoop, SessionPlan, ThinkTime
from botruntime.metrics import Recorder

pytestmark = pytest.mark.anyio


async def test_each_session_waits_for_its_action_and_think_time() -> None:
    rec = Recorder()
    busy: set[int] = set()
    starts: dict[int, list[float]] = {}
    overlap = False

    async def action(intended_ts: float, slot: int) -> None:
        nonlocal overlap
        overlap |= slot in busy
        busy.add(slot)
        starts.setdefault(slot, []).append(intended_ts)
        await asyncio.sleep(0.01)
        busy.discard(slot)

    plan = SessionPlan(sessions=4, think=ThinkTime(0.02, "constant"), seconds=0.5, seed=1)
    loop = ClosedLoop(plan.whole(), action, role="readers", recorder=rec)
    report = await loop.run()
    assert not overlap
    assert set(starts) == {0, 1, 2, 3}
    for times in starts.values():
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= 0.03 - 0.001  # action 10 ms + think 20 ms
    assert report.offered == sum(len(t) for t in starts.values())
    assert 4 * 10 <= report.offered <= 4 * 17  # throughput is an output: ~0.5 s / 30 ms each
    assert report.elapsed_s < 0.7


async def test_a_share_runs_only_its_sessions() -> None:
    rec = Recorder()
    slots: set[int] = set()

    async def action(intended_ts: float, slot: int) -> None:
        slots.add(slot)

    plan = SessionPlan(sessions=10, think=ThinkTime(0.01), seconds=0.1)
    first, second = plan.split([1, 1])
    await ClosedLoop(first, action, role="r", recorder=rec).run()
    assert slots == set(first.session_ids())
    assert slots.isdisjoint(second.session_ids())
    assert time.perf_counter() > 0
