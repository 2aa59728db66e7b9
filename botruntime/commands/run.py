"""`testbots run`: one scenario end to end, without Dagster (DESIGN §9)."""

from __future__ import annotations

import click

__all__ = ["run"]


@click.command()
@click.argument("scenario")
def run(scenario: str) -> None:
    """Run SCENARIO (an id from scenarios/ or a YAML file) against simnet or a real network."""
    click.echo(
        f"testbots run {scenario}: the scenario runner is not built yet "
        "(it arrives with issue 6, 'The first real run').",
        err=True,
    )
    raise SystemExit(2)
