"""Generator health and the interval pump, run on a real event loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from botruntime.metrics import GeneratorHealth, IntervalDelta, IntervalPump, Recorder, RunMetrics

pytestmark = pytest.mark.anyio


def _burn(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


async def test_health_records_loop_lag_cpu_rss_and_in_flight() -> None:
    rec = Recorder()
    health = GeneratorHealth(
        rec, in_flight=lambda: {"payers": 7}, tick_s=0.01, process_every_s=0.05
    )
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(health.run(), name="health")
        await asyncio.sleep(0.1)
        blocked_s = 0.06
        _burn(blocked_s)  # hold the loop on the CPU: the monitor must see both
        await asyncio.sleep(0.05)
        task.cancel()
    run = RunMetrics()
    run.ingest(rec.flush(0))
    assert run.count("gen.loop_lag") >= 5
    assert run.quantile_s("gen.loop_lag", None, 1.0) >= blocked_s * 0.8
    assert run.gauge_max("gen.inflight", {"role": "payers"}) == 7
    assert run.gauge_max("gen.rss_bytes") > 10_000_000
    cpu = run.gauge_max("gen.cpu")
    assert cpu is not None and cpu > 0.0


async def test_pump_sends_every_interval_and_the_partial_last_one() -> None:
    rec = Recorder("w1")
    got: list[IntervalDelta] = []

    async def sink(delta: IntervalDelta) -> None:
        got.append(IntervalDelta.from_bytes(delta.to_bytes()))

    pump = IntervalPump(rec, sink, interval_s=0.05)
    intents = rec.counter("n.intent")
    async with asyncio.TaskGroup() as tg:
        tg.create_task(pump.run(), name="pump")
        for _ in range(6):
            intents.add()
            await asyncio.sleep(0.02)
        pump.stop()
    assert [d.interval for d in got] == list(range(len(got)))
    assert len(got) >= 2
    run = RunMetrics(interval_s=0.05)
    run.ingest_all(got)
    assert run.count("n.intent") == 6


async def test_bots_by_state_read_zero_for_a_state_they_all_left() -> None:
    rec = Recorder()
    states = {"funded": 3}
    health = GeneratorHealth(rec, bots=lambda: states)
    health.sample_bots()
    states = {"running": 2, "failed": 1}
    health.sample_bots()
    run = RunMetrics()
    run.ingest(rec.flush(0))
    last = {s: run.gauge_last("gen.bots", {"state": s}) for s in ("funded", "running", "failed")}
    assert last == {"funded": 0, "running": 2, "failed": 1}
