"""Safety rails on real processes: the token, bad messages, the kill switch, the dead-man switch."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

import grpc
import pytest
from _requests import distribute_request
from grpc_health.v1 import health_pb2

from botruntime.cluster import (
    CLUSTER_PROTOCOL,
    SERVICE_NAME,
    TOKEN_HEADER,
    WORKER_SERVICE,
    ControlClient,
    CoordinatorRefused,
)
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._refusal import REASON_KEY

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = pytest.mark.anyio

METHODS = (
    "RegisterWorker",
    "DistributeScenario",
    "GetRunStatus",
    "StopRun",
    "GetClusterStatus",
    "GetBotStatus",
    "SpawnBot",
    "StopBot",
)
_STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"


def _stamps(text: str, pattern: str) -> list[float]:
    return [
        datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for m in re.finditer(_STAMP + r" .*" + pattern, text)
    ]


async def _long_run(cluster: Cluster, client: ControlClient, workers: int) -> str:
    while len(cluster.workers) < workers:
        cluster.start_worker()
    await client.wait_for_workers(workers, timeout_s=20)
    request = distribute_request(cluster.scenario(hold_s=60.0, rate_per_s=100.0), start_delay_s=0.5)
    run = await client.distribute(request)
    await asyncio.sleep(max(run.start_at_unix_s + 1.0 - time.time(), 0.0))
    assert (await client.run_status(run.run_id)).state == "running"
    return run.run_id


@pytest.mark.parametrize("token", [None, "wrong-token-but-long-enough"])
async def test_a_peer_without_the_token_gets_nothing(cluster: Cluster, token: str | None) -> None:
    metadata = () if token is None else ((TOKEN_HEADER, token),)
    async with grpc.aio.insecure_channel(cluster.address) as channel:
        for method in (*METHODS, "NoSuchMethod"):
            call = channel.unary_unary(f"/testbots.v1.BotOrchestration/{method}")
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(b"", metadata=metadata, timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED, method
            assert refused.value.details() == "unauthenticated", method  # the same words for all
            assert dict(refused.value.trailing_metadata())[REASON_KEY] == "unauthenticated"
        session = channel.stream_stream("/testbots.v1.BotOrchestration/Session")(
            metadata=metadata, timeout=5
        )
        watch = channel.unary_stream("/testbots.v1.BotOrchestration/WatchRun")(
            b"", metadata=metadata, timeout=5
        )
        for call in (session, watch):
            assert await call.code() == grpc.StatusCode.UNAUTHENTICATED
            assert await call.details() == "unauthenticated"
            assert dict(await call.trailing_metadata())[REASON_KEY] == "unauthenticated"
    # a worker with the wrong token is refused, says why, and is never registered
    worker = cluster.start_worker(token="wrong-token-but-long-enough")
    assert worker.popen.wait(timeout=20) == 2
    assert "refused our token" in worker.text()
    async with ControlClient(cluster.address, cluster.token) as client:
        assert (await client.cluster()).workers == ()
    status = cluster.cli("status", f"--coordinator={cluster.address}", token="x" * 20)
    assert status.returncode != 0 and "refused the token" in status.stderr


async def test_bad_messages_end_only_their_own_stream(cluster: Cluster) -> None:
    metadata = ((TOKEN_HEADER, cluster.token),)
    healthy = cluster.start_worker()
    async with ControlClient(cluster.address, cluster.token) as client:
        await client.wait_for_workers(1, timeout_s=20)
        async with grpc.aio.insecure_channel(cluster.address) as channel:
            register = channel.unary_unary(
                "/testbots.v1.BotOrchestration/RegisterWorker",
                request_serializer=pb.RegisterWorkerRequest.SerializeToString,
                response_deserializer=pb.RegisterWorkerReply.FromString,
            )
            with pytest.raises(grpc.aio.AioRpcError) as old:  # a worker of protocol 1
                await register(
                    pb.RegisterWorkerRequest(name="old", capacity_bots=5), metadata=metadata
                )
            reply = await register(
                pb.RegisterWorkerRequest(name="rogue", capacity_bots=5, protocol=CLUSTER_PROTOCOL),
                metadata=metadata,
            )
            session = channel.stream_stream(
                "/testbots.v1.BotOrchestration/Session",
                request_serializer=pb.WorkerMessage.SerializeToString,
                response_deserializer=pb.CoordinatorCommand.FromString,
            )
            hello = pb.WorkerMessage(
                hello=pb.SessionHello(worker_id=reply.worker_id, session_key=reply.session_key)
            )
            cases = {
                "heartbeat before hello": [pb.WorkerMessage(heartbeat=pb.Heartbeat(seq=1))],
                "a stolen worker id": [
                    pb.WorkerMessage(
                        hello=pb.SessionHello(worker_id=reply.worker_id, session_key=b"guess")
                    )
                ],
                "a result for a run never given": [
                    hello,
                    pb.WorkerMessage(done=pb.AssignmentDone(run_id="nope", assignment_id="x")),
                ],
                "hello twice": [hello, hello],
                "a NaN lag": [
                    hello,
                    pb.WorkerMessage(heartbeat=pb.Heartbeat(seq=1, loop_lag_ms=float("nan"))),
                ],
            }
            codes = {}
            for case, messages in cases.items():
                with pytest.raises(grpc.aio.AioRpcError) as ended:
                    async for _ in session(iter(messages), metadata=metadata, timeout=5):
                        pass
                reason = dict(ended.value.trailing_metadata()).get(REASON_KEY)
                codes[case] = (ended.value.code(), reason)
            garbage = channel.stream_stream("/testbots.v1.BotOrchestration/Session")
            with pytest.raises(grpc.aio.AioRpcError):
                async for _ in garbage(iter([b"\xff\xff\xff not protobuf"]), metadata=metadata):
                    pass
        invalid = (grpc.StatusCode.INVALID_ARGUMENT, "invalid_request")
        refused_old = (old.value.code(), dict(old.value.trailing_metadata()).get(REASON_KEY))
        assert refused_old == (grpc.StatusCode.FAILED_PRECONDITION, "protocol")
        assert "run the same testbots version" in (old.value.details() or "")
        assert codes == {
            "heartbeat before hello": invalid,
            "a stolen worker id": (grpc.StatusCode.FAILED_PRECONDITION, "not_registered"),
            "a result for a run never given": invalid,
            "hello twice": invalid,
            "a NaN lag": invalid,
        }
        # the coordinator and the well-behaved worker noticed nothing
        view = await client.cluster()
    assert cluster.coordinator is not None and cluster.coordinator.alive() and healthy.alive()
    assert [w.liveness for w in view.workers if w.name == "worker0"] == ["alive"]
    table = cluster.cli("status", f"--coordinator={cluster.address}")
    assert table.returncode == 0 and re.search(r"worker0 .* alive", table.stdout)


async def test_the_control_client_gets_each_refusal_as_its_typed_reason(cluster: Cluster) -> None:
    cluster.start_worker()
    async with ControlClient(cluster.address, cluster.token) as client:
        await client.wait_for_workers(1, timeout_s=20)
        with pytest.raises(CoordinatorRefused) as unknown:
            await client.run_status("no-such-run")
        request = distribute_request(cluster.scenario(hold_s=5.0, rate_per_s=10.0), min_workers=3)
        with pytest.raises(CoordinatorRefused) as placement:
            await client.distribute(request)
    assert (unknown.value.reason, unknown.value.code) == ("not_found", "NOT_FOUND")
    assert unknown.value.retry_after_s is None and "no-such-run" in str(unknown.value)
    assert (placement.value.reason, placement.value.code) == ("placement", "FAILED_PRECONDITION")
    assert placement.value.retry_after_s == 1.0 and "min_workers" in str(placement.value)
    async with ControlClient(cluster.address, "x" * 20) as stranger:
        with pytest.raises(CoordinatorRefused) as denied:
            await stranger.cluster()
    assert denied.value.reason == "unauthenticated" and "refused the token" in str(denied.value)


async def test_testbots_stop_stops_every_bot_within_two_seconds(cluster: Cluster) -> None:
    async with ControlClient(cluster.address, cluster.token) as client:
        run_id = await _long_run(cluster, client, workers=3)
        stopped = cluster.cli("stop", run_id, f"--coordinator={cluster.address}")
        assert stopped.returncode == 0, stopped.stderr
        assert f"{run_id}: stopped" in stopped.stdout
        end = await client.run_status(run_id)
    assert end.state == "stopped" and {str(p.outcome) for p in end.placements} == {"stopped"}
    assert cluster.coordinator is not None
    (asked,) = _stamps(cluster.coordinator.text(), f"run {re.escape(run_id)}: stopping")
    (ended,) = _stamps(cluster.coordinator.text(), f"run {re.escape(run_id)} is stopped")
    for worker in cluster.workers:
        (bots_stopped,) = _stamps(worker.text(), "assignment .*: stopped")
        assert bots_stopped - asked <= 2.0
    assert ended - asked <= 2.0


async def _health(address: str, service: str) -> int:
    async with grpc.aio.insecure_channel(address) as channel:
        check = channel.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        reply = await check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        return int(reply.status)


async def test_workers_stop_their_bots_when_the_coordinator_dies(cluster: Cluster) -> None:
    serving = health_pb2.HealthCheckResponse.SERVING
    worker_health = f"127.0.0.1:{cluster.free_port()}"
    cluster.start_worker(health_listen=worker_health)
    async with ControlClient(cluster.address, cluster.token) as client:
        await _long_run(cluster, client, workers=2)
    # probes need no token and learn only SERVING or not
    assert await _health(cluster.address, SERVICE_NAME) == serving
    assert await _health(worker_health, "") == serving
    assert await _health(worker_health, WORKER_SERVICE) == serving
    assert cluster.coordinator is not None
    cluster.coordinator.kill()
    killed = time.time()
    for worker in cluster.workers:
        worker.wait_for_line(r"assignment .*: stopped", timeout_s=cluster.dead_man_s + 5.0)
    for worker in cluster.workers:
        (tripped,) = _stamps(worker.text(), "dead-man switch")
        (bots_stopped,) = _stamps(worker.text(), "assignment .*: stopped")
        assert cluster.dead_man_s - 0.5 <= tripped - killed <= cluster.dead_man_s + 1.0
        assert bots_stopped - tripped <= 2.0
        assert worker.alive()  # it waits for a coordinator again, holding no bots
    # alive for Kubernetes, but not ready: no Session to a coordinator
    assert await _health(worker_health, "") == serving
    assert (
        await _health(worker_health, WORKER_SERVICE) == health_pb2.HealthCheckResponse.NOT_SERVING
    )
    # a coordinator back at the same address gets both workers again, registered afresh
    cluster.start_coordinator(listen=cluster.address)
    async with ControlClient(cluster.address, cluster.token) as client:
        view = await client.wait_for_workers(2, timeout_s=10)
    assert sorted(w.name for w in view.alive()) == ["worker0", "worker1"]
    assert all(w.assignment_ids == () for w in view.workers)  # nothing carried over
    assert await _health(worker_health, WORKER_SERVICE) == serving


async def test_a_coordinator_stopped_with_sigterm_leaves_no_load_behind(cluster: Cluster) -> None:
    async with ControlClient(cluster.address, cluster.token) as client:
        await _long_run(cluster, client, workers=2)
    assert cluster.coordinator is not None
    cluster.coordinator.popen.terminate()
    assert cluster.coordinator.popen.wait(timeout=10) == 0
    for worker in cluster.workers:
        assert worker.popen.wait(timeout=10) == 0  # drained: bots stopped, results sent, exit
        assert "drain: the coordinator is stopping" in worker.text()
        assert re.search(r"assignment .*: stopped", worker.text())
