"""`testbots status`: the coordinator's workers and runs, as a table."""

from __future__ import annotations

import asyncio

import click

__all__ = ["status"]


@click.command()
@click.option(
    "--coordinator",
    "address",
    default="127.0.0.1:7470",
    show_default=True,
    help="HOST:PORT of the coordinator",
)
@click.option("--token", envvar="TESTBOTS_TOKEN", help="shared cluster token [env TESTBOTS_TOKEN]")
def status(address: str, token: str | None) -> None:
    """Show every worker (liveness, heartbeat, load) and every run (state, gaps)."""
    from rich.console import Console
    from rich.table import Table

    from botruntime.cluster import (
        ClusterConfigError,
        ClusterView,
        ControlClient,
        CoordinatorUnavailable,
        check_token,
    )

    async def fetch(secret: str) -> ClusterView:
        async with ControlClient(address, secret) as client:
            return await client.cluster()

    try:
        view = asyncio.run(fetch(check_token(token)))
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except CoordinatorUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    workers = Table(title=f"workers at {address}")
    for column in (
        "worker",
        "name",
        "liveness",
        "age s",
        "bots",
        "cpu %",
        "loop lag ms",
        "sched lag ms",
    ):
        workers.add_column(column)
    for w in view.workers:
        h = w.health
        workers.add_row(
            w.worker_id,
            w.name,
            w.liveness,
            f"{w.last_heartbeat_age_s:.1f}",
            f"{h.bots_running if h else 0}/{w.capacity_bots}",
            f"{h.cpu_percent:.0f}" if h else "-",
            f"{h.loop_lag_ms:.1f}" if h else "-",
            f"{h.schedule_lag_ms:.1f}" if h else "-",
        )
    runs = Table(title="runs")
    for column in ("run", "state", "policy", "elapsed s", "intents", "gaps", "reason"):
        runs.add_column(column)
    for r in view.runs:
        state = (
            r.state
            + (" (degraded)" if r.degraded else "")
            + (f" {r.forced_verdict}" if r.forced_verdict else "")
        )
        gap_s = sum(g.to_s - g.from_s for g in r.gaps)
        runs.add_row(
            r.run_id,
            state,
            r.policy,
            f"{r.elapsed_s:.1f}",
            str(r.counters.get("n.intent", 0)),
            f"{len(r.gaps)} ({gap_s:.1f} s)" if r.gaps else "-",
            r.reason,
        )
    console = Console()
    console.print(workers)
    console.print(runs)
