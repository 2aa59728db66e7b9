"""The coordinator process: gRPC server, health service, monitor loop and metrics page.

`serve_coordinator` owns every task it starts and returns only after the server stopped: on
`stop`, every run is stopped and every worker told to drain before the port closes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from botruntime.cluster._auth import TlsFiles, TokenInterceptor
from botruntime.cluster._coordinator import Coordinator, CoordinatorConfig
from botruntime.cluster._errors import ClusterConfigError
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.cluster._prom import MetricsPage, MetricsServer
from botruntime.cluster._servicer import Servicer

__all__ = [
    "DEFAULT_LISTEN",
    "SERVICE_NAME",
    "ServerOptions",
    "serve_coordinator",
    "split_host_port",
]

DEFAULT_LISTEN: Final = "127.0.0.1:7470"
SERVICE_NAME: Final = "testbots.v1.BotOrchestration"
log = logging.getLogger("testbots.coordinator")


@dataclass(frozen=True, slots=True)
class ServerOptions:
    token: str
    listen: str = DEFAULT_LISTEN
    tls: TlsFiles | None = None
    metrics_listen: str | None = None  # "127.0.0.1:9464" serves /metrics for Prometheus
    drain_wait_s: float = 1.0  # after telling workers to drain, before the port closes


def split_host_port(address: str, flag: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ClusterConfigError(f"{flag} {address!r} is not HOST:PORT, e.g. 127.0.0.1:7470")
    return host.strip("[]"), int(port)


async def serve_coordinator(
    options: ServerOptions,
    stop: asyncio.Event,
    *,
    config: CoordinatorConfig | None = None,
    on_ready: Callable[[int], None] | None = None,
) -> Coordinator:
    """Serve until `stop` is set; `on_ready(port)` once the port accepts calls."""
    split_host_port(options.listen, "--listen")
    coordinator = Coordinator(config)
    server = grpc.aio.server(interceptors=[TokenInterceptor(options.token)])
    servicer = Servicer(coordinator, time.time)
    pb_grpc.add_BotOrchestrationServicer_to_server(servicer, server)  # type: ignore[no-untyped-call]
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if options.tls is not None:
        port = server.add_secure_port(options.listen, options.tls.server_credentials())
    else:
        port = server.add_insecure_port(options.listen)
    if not port:
        raise ClusterConfigError(f"cannot listen on {options.listen}: is the port in use?")
    await server.start()
    metrics = MetricsServer(
        options.metrics_listen, MetricsPage(coordinator).render, "--metrics-listen"
    )
    try:
        await metrics.start()
        for service in ("", SERVICE_NAME):
            await health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
        log.info("coordinator listening on %s (port %d)", options.listen, port)
        if on_ready is not None:
            on_ready(port)
        async with asyncio.TaskGroup() as tg:
            monitor = tg.create_task(coordinator.monitor(), name="coordinator-monitor")
            try:
                await stop.wait()
            finally:
                coordinator.shutdown("the coordinator is stopping")
                await asyncio.sleep(options.drain_wait_s)  # let Stop and Drain reach workers
                monitor.cancel()
    finally:
        await health_servicer.enter_graceful_shutdown()
        await server.stop(grace=1.0)
        await metrics.stop()
    return coordinator
