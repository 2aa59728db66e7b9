"""`testbots stop RUN`: the kill switch: every bot of the run stopped within 2 s (DESIGN §8)."""

from __future__ import annotations

import asyncio

import click

__all__ = ["stop"]


@click.command()
@click.argument("run_id")
@click.option(
    "--coordinator",
    "address",
    default="127.0.0.1:7470",
    show_default=True,
    help="HOST:PORT of the coordinator",
)
@click.option("--token", envvar="TESTBOTS_TOKEN", help="shared cluster token [env TESTBOTS_TOKEN]")
@click.option("--reason", default="testbots stop", show_default=True, help="recorded in the run")
def stop(run_id: str, address: str, token: str | None, reason: str) -> None:
    """Stop RUN on every worker; exits 0 once the run has ended."""
    from botruntime.cluster import (
        ClusterConfigError,
        ControlClient,
        CoordinatorUnavailable,
        RunView,
        check_token,
    )

    async def call(secret: str) -> RunView:
        async with ControlClient(address, secret) as client:
            return await client.stop_run(run_id, reason)

    try:
        run = asyncio.run(call(check_token(token)))
    except ClusterConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except CoordinatorUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{run.run_id}: {run.state} ({run.reason})")
    if not run.terminal:
        raise SystemExit(1)
