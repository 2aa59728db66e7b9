"""`testbots worker --coordinator HOST:PORT`: a process that runs bots for the coordinator."""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from botruntime.cluster import FleetRunner, LoopStall, WorkerOptions

__all__ = ["worker"]


@click.command()
@click.option("--coordinator", "address", required=True, help="HOST:PORT of the coordinator")
@click.option("--token", envvar="TESTBOTS_TOKEN", help="shared cluster token [env TESTBOTS_TOKEN]")
@click.option("--capacity", default=10_000, show_default=True, help="most bots this worker holds")
@click.option("--name", default="", help="for humans: defaults to the host name")
@click.option(
    "--runner",
    "runner_name",
    default="scenario",
    show_default=True,
    help="'scenario' (bots against the run's network), 'synthetic' (no network: tests a "
    "cluster) or MODULE:FACTORY of a FleetRunner",
)
@click.option(
    "--synthetic-service-ms",
    default=5.0,
    show_default=True,
    help="service time of each synthetic action",
)
@click.option(
    "--tls-ca",
    type=click.Path(dir_okay=False, path_type=Path),
    help="PEM CA of the coordinator's certificate: turns TLS on",
)
@click.option(
    "--health-listen", default=None, help="HOST:PORT for grpc.health.v1 probes (off unless given)"
)
@click.option(
    "--metrics-listen",
    default=None,
    help="HOST:PORT for Prometheus /metrics: this worker's health and share of the run (off)",
)
@click.option(
    "--test-block-loop-at-s",
    "block_loop",
    envvar="TESTBOTS_TEST_BLOCK_LOOP_AT_S",
    hidden=True,
    help="test hook: AT,FOR blocks this worker's event loop at plan offset AT for FOR seconds",
)
def worker(
    address: str,
    token: str | None,
    capacity: int,
    name: str,
    runner_name: str,
    synthetic_service_ms: float,
    tls_ca: Path | None,
    health_listen: str | None,
    metrics_listen: str | None,
    block_loop: str | None,
) -> None:
    """Register with the coordinator and run what it assigns until it says drain."""
    from botruntime.cluster import ClusterConfigError, TlsFiles, WorkerOptions, check_token

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        options = WorkerOptions(
            coordinator=address,
            token=check_token(token),
            capacity_bots=capacity,
            name=name,
            tls=TlsFiles(ca=tls_ca) if tls_ca else None,
            health_listen=health_listen,
            metrics_listen=metrics_listen,
        )
        runner = _runner(runner_name, synthetic_service_ms / 1000, _stall(block_loop))
        asyncio.run(_work(options, runner))
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _stall(text: str | None) -> LoopStall | None:
    """The test hook TESTBOTS_TEST_BLOCK_LOOP_AT_S (see botruntime/cluster/_loop_stall.py)."""
    if not text:
        return None
    from botruntime.cluster import LoopStall

    try:
        return LoopStall.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="TESTBOTS_TEST_BLOCK_LOOP_AT_S") from None


def _runner(name: str, service_time_s: float, stall: LoopStall | None = None) -> FleetRunner:
    from botruntime.cluster import ClusterConfigError, ScenarioRunner, SyntheticRunner

    if name == "scenario":
        return ScenarioRunner(loop_stall=stall)
    if name == "synthetic":
        return SyntheticRunner(service_time_s=service_time_s)
    module_name, sep, attribute = name.partition(":")
    if not sep:
        raise ClusterConfigError(
            f"--runner {name!r}: use 'scenario', 'synthetic' or MODULE:FACTORY"
        )
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ClusterConfigError(f"--runner {name!r}: {exc}") from None
    runner: FleetRunner = factory()
    return runner


async def _work(options: WorkerOptions, runner: FleetRunner) -> None:
    from botruntime.cluster import Worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await Worker(options, runner).run(stop)
