"""A worker's own health: what its heartbeat reports, and what Kubernetes probes ask.

`HealthProbe` reuses botruntime.metrics' GeneratorHealth (event-loop lag, CPU, RSS) on a
recorder of its own and reads one heartbeat's worth at a time. `WorkerHealthServer` serves the
standard grpc.health.v1 service: "" is SERVING while the process runs (liveness), and
`testbots.v1.Worker` is SERVING only while a Session to the coordinator is up (readiness).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from botruntime.metrics import GeneratorHealth, Recorder

__all__ = ["WORKER_SERVICE", "HealthProbe", "ProbeSample", "WorkerHealthServer"]

WORKER_SERVICE: Final = "testbots.v1.Worker"


@dataclass(frozen=True, slots=True)
class ProbeSample:
    loop_lag_ms: float
    cpu_percent: float
    rss_bytes: int


class HealthProbe:
    def __init__(self) -> None:
        self._recorder = Recorder(source="worker-health")
        self._health = GeneratorHealth(self._recorder)
        self._interval = 0

    async def run(self) -> None:
        await self._health.run()

    def sample(self) -> ProbeSample:
        """Since the last sample: p99 loop lag, last CPU and RSS readings."""
        lag = self._recorder.histogram("gen.loop_lag").hdr.get_value_at_percentile(99) / 1000
        cpu = self._recorder.gauge("gen.cpu").last * 100
        rss = int(self._recorder.gauge("gen.rss_bytes").last)
        self._recorder.flush(self._interval)
        self._interval += 1
        return ProbeSample(float(lag), cpu, rss)


class WorkerHealthServer:
    """Off when `listen` is None."""

    def __init__(self, listen: str | None) -> None:
        self._listen = listen
        self._server: Any = None
        self._servicer: Any = None
        self._connected: bool | None = None

    async def start(self) -> None:
        if self._listen is None:
            return
        self._server = grpc.aio.server()
        self._servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._servicer, self._server)
        if not self._server.add_insecure_port(self._listen):
            raise OSError(f"--health-listen {self._listen}: cannot listen there")
        await self._server.start()
        await self._servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        await self._servicer.set(WORKER_SERVICE, health_pb2.HealthCheckResponse.NOT_SERVING)

    async def set_connected(self, connected: bool) -> None:
        if self._servicer is None or connected == self._connected:
            return
        self._connected = connected
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if connected
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self._servicer.set(WORKER_SERVICE, status)

    async def stop(self) -> None:
        if self._server is not None:
            await self._servicer.enter_graceful_shutdown()
            await self._server.stop(grace=0.5)
