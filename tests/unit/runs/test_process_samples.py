"""The runner's process sampler (mixed_soak C3): every second it records each fleet process's
RSS and open descriptors, and skips a PID that now belongs to another process."""

from __future__ import annotations

import asyncio
import os
import time

import psutil
import pytest

from botruntime.metrics import Recorder, RunMetrics
from botruntime.runs._soak import FleetProcess, follow_processes

pytestmark = pytest.mark.anyio


async def test_each_fleet_process_is_sampled_every_second() -> None:
    me = psutil.Process()
    fleet = [
        FleetProcess("runner", os.getpid(), me.create_time()),
        FleetProcess("reused", os.getpid(), me.create_time() - 100.0),  # not the one started
    ]
    recorder = Recorder("runner")
    start_ts = time.perf_counter()
    sampler = asyncio.create_task(follow_processes(fleet, recorder, start_ts))
    try:
        deadline = time.perf_counter() + 20.0
        while recorder.gauge("fleet.fds", process="runner").last == 0.0:
            assert time.perf_counter() < deadline, "no sample within 20 s"
            await asyncio.sleep(0.05)
    finally:
        sampler.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sampler
    metrics = RunMetrics()
    metrics.ingest(recorder.flush(0))
    rss = metrics.series("fleet.rss_bytes", {"process": "runner"})
    assert rss and rss[0][1] > 1e6  # a Python process holds megabytes
    assert metrics.series("fleet.fds", {"process": "runner"})[0][1] >= 3
    assert metrics.series("fleet.rss_bytes", {"process": "reused"}) == []
