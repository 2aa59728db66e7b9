"""`testbots coordinator`: the process that splits runs over workers and ends them (DESIGN §6)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from botruntime.cluster import CoordinatorConfig, ServerOptions

__all__ = ["coordinator"]


@click.command()
@click.option(
    "--listen",
    default="127.0.0.1:7470",
    show_default=True,
    help="HOST:PORT to serve on; loopback unless you say otherwise (port 0: any free)",
)
@click.option("--token", envvar="TESTBOTS_TOKEN", help="shared cluster token [env TESTBOTS_TOKEN]")
@click.option("--tls-cert", type=click.Path(dir_okay=False, path_type=Path), help="PEM certificate")
@click.option("--tls-key", type=click.Path(dir_okay=False, path_type=Path), help="PEM private key")
@click.option("--metrics-listen", default=None, help="HOST:PORT for Prometheus /metrics (off)")
@click.option("--heartbeat-s", default=1.0, show_default=True, help="worker heartbeat interval")
@click.option("--suspect-after", default=3, show_default=True, help="missed heartbeats: suspect")
@click.option("--lost-after-s", default=5.0, show_default=True, help="silent this long: lost")
@click.option(
    "--dead-man-s",
    default=10.0,
    show_default=True,
    help="workers stop their bots after this long without the coordinator",
)
@click.option(
    "--start-delay-s",
    default=2.0,
    show_default=True,
    help="time for workers to get ready before a run's plan starts",
)
def coordinator(
    listen: str,
    token: str | None,
    tls_cert: Path | None,
    tls_key: Path | None,
    metrics_listen: str | None,
    heartbeat_s: float,
    suspect_after: int,
    lost_after_s: float,
    dead_man_s: float,
    start_delay_s: float,
) -> None:
    """Serve the coordinator until SIGTERM/SIGINT; every run is stopped before it exits."""
    from botruntime.cluster import (
        ClusterConfigError,
        CoordinatorConfig,
        LivenessConfig,
        ServerOptions,
        TlsFiles,
        check_token,
    )

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        config = CoordinatorConfig(
            liveness=LivenessConfig(heartbeat_s, suspect_after, lost_after_s, dead_man_s),
            start_delay_s=start_delay_s,
        )
        tls = TlsFiles(cert=tls_cert, key=tls_key) if tls_cert or tls_key else None
        options = ServerOptions(
            token=check_token(token), listen=listen, tls=tls, metrics_listen=metrics_listen
        )
        asyncio.run(_serve(options, config))
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None


async def _serve(options: ServerOptions, config: CoordinatorConfig) -> None:
    from botruntime.cluster import serve_coordinator

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def ready(port: int) -> None:
        host = options.listen.rpartition(":")[0]
        click.echo(f"coordinator ready on {host}:{port}", err=True)

    await serve_coordinator(options, stop, config=config, on_ready=ready)
