"""GetRunMetrics over a real socket: a follower asks only for what changed since its version,
and every answer it assembled equals the exact merge of every delta the workers sent."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator

import grpc
import pytest

from botruntime.cluster import ControlClient, Coordinator, CoordinatorConfig
from botruntime.cluster._auth import TokenInterceptor
from botruntime.cluster._coordinator import WorkerLink
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.cluster._run import RunSpec
from botruntime.cluster._servicer import Servicer
from botruntime.metrics import DeltaPacker, IntervalDelta, Recorder, RunMetrics
from botruntime.plan import PlanSource, Target

pytestmark = pytest.mark.anyio
TOKEN = "follow-test-token-0123456789"
QS = (0.5, 0.99, 1.0)


def _delta(source: str, interval: int, rng: random.Random) -> IntervalDelta:
    rec = Recorder(source)
    timer = rec.timer("submit", chain="alpha", action="send_ax")
    for _ in range(30):
        timer.record(0.0, 0.0, rng.lognormvariate(-5.0, 0.7))
    rec.counter("n.intent", action="send_ax").add(30)
    rec.gauge("gen.inflight").set(rng.randrange(10))
    return rec.flush(interval)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Coordinator, int]]:
    coordinator = Coordinator(CoordinatorConfig(start_delay_s=0.1))
    server = grpc.aio.server(interceptors=[TokenInterceptor(TOKEN)])
    servicer = Servicer(coordinator, time.time)
    pb_grpc.add_BotOrchestrationServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield coordinator, port
    finally:
        await server.stop(None)


def _workers(coordinator: Coordinator, run_id: str) -> list[tuple[WorkerLink, str]]:
    """Two workers holding the run's two assignments: (link, assignment id)."""
    links = {}
    for name in ("w-a", "w-b"):
        record = coordinator.register(name, 10)
        links[record.worker_id] = coordinator.attach(record.worker_id, record.session_key)
    source = PlanSource("", "smoke", "1", Target(), run_id)
    run = coordinator.distribute(RunSpec(run_id, source, 20, "fail", 60.0), min_workers=2)
    return [(links[r.worker_id], a) for a, r in run.assignments.items()]


async def test_a_follower_gets_only_the_changed_intervals_and_the_exact_merge(
    served: tuple[Coordinator, int],
) -> None:
    coordinator, port = served
    held = _workers(coordinator, "r-follow")
    rng, reference, packer = random.Random(7), RunMetrics(), DeltaPacker()
    async with ControlClient(f"127.0.0.1:{port}", TOKEN) as client:
        follower = client.follow_metrics("r-follow")
        for interval in range(12):
            for seq_link, (link, assignment_id) in enumerate(held):
                delta = _delta(assignment_id, interval, rng)
                reference.ingest(delta)
                coordinator.on_delta(link, "r-follow", assignment_id, interval, packer.pack(delta))
                if seq_link == 0:
                    await follower.update()  # sees interval half merged: replaced next time
                    assert follower.received == 1
            await follower.update()
            assert follower.received == 1  # only the interval that changed, however long
            assert follower.metrics.count("n.intent") == reference.count("n.intent")
        link, assignment_id = held[0]
        again = packer.pack(_delta(assignment_id, 11, rng))
        coordinator.on_delta(link, "r-follow", assignment_id, 11, again)  # re-sent: ignored
        assert (await follower.update()) is follower.metrics and follower.received == 0
        whole = await client.run_metrics("r-follow")
    for got in (follower.metrics, whole):
        assert got.intervals == reference.intervals == range(12)
        assert got.count("lat.submit") == reference.count("lat.submit") == 12 * 2 * 30
        assert got.quantiles_s("lat.submit", None, QS) == reference.quantiles_s(
            "lat.submit", None, QS
        )
        for i in range(12):
            window = range(i, i + 1)
            assert got.quantiles_s("lat.submit", None, QS, window) == reference.quantiles_s(
                "lat.submit", None, QS, window
            )
            assert got.gauge_max("gen.inflight", None, window) == reference.gauge_max(
                "gen.inflight", None, window
            )
