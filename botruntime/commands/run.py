"""`testbots run`: one scenario end to end, without Dagster (DESIGN §9).

Exit codes (DESIGN §5): 0 pass, 1 fail, 2 usage or configuration error, 3 inconclusive,
4 regression against the baseline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table

from botruntime.chain.errors import ChainError
from botruntime.commands._options import HOME, SCENARIOS_DIR, WORKERS
from botruntime.local import LocalStackError
from botruntime.runs import (
    CoordinatorAddress,
    RunConfigError,
    RunError,
    TargetRefused,
    summary_lines,
)
from botruntime.runs.report import RunReport
from botruntime.runs.runner import (
    Progress,
    RunRequest,
    distribute,
    execute,
    report,
    setup,
    teardown,
    testbots_home,
)
from botruntime.scenario import ScenarioError

__all__ = ["live_progress", "run"]

_USAGE = 2


def _progress_table(p: Progress) -> Table:
    table = Table(show_header=True, header_style="bold", box=None)
    for name in (
        "elapsed",
        "offered/s",
        "achieved/s",
        "committed/s",
        "p99 submit",
        "errors",
        "dropped",
        "blocked",
    ):
        table.add_column(name, justify="right")
    table.add_row(
        f"{p.elapsed_s:5.1f}/{p.total_s:.0f} s",
        f"{p.offered_per_s:.1f}",
        f"{p.achieved_per_s:.1f}",
        f"{p.committed_per_s:.1f}",
        "-" if p.p99_ms is None else f"{p.p99_ms:.1f} ms",
        str(p.errors),
        str(p.dropped),
        str(p.blocked),
    )
    return table


@contextlib.contextmanager
def live_progress(console: Console) -> Iterator[Callable[[Progress], None]]:
    """Show each Progress as it comes; when the block ends, whatever prints next starts a line.

    On a terminal rich ends the last frame with a newline itself; anywhere else (a pipe, a CI
    log, Dagster's captured output) the last frame ends without one, and the verdict would
    continue the last progress row."""
    shown = False

    def show(p: Progress) -> None:
        nonlocal shown
        live.update(_progress_table(p))
        shown = True

    try:
        with Live(console=console, refresh_per_second=2, transient=False) as live:
            yield show
    finally:
        if shown and not console.is_terminal:
            console.line()


async def _run(request: RunRequest, console: Console) -> RunReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    where = f" coordinator={request.coordinator.address}" if request.coordinator else ""
    console.print(
        f"[bold]testbots run {request.scenario}[/] size={request.size} "
        f"target={request.target}{where}"
    )
    prepared = await setup(request)
    try:
        console.print(
            f"  run {prepared.run_id}: {prepared.plan.bots} bots funded on "
            f"{prepared.status.alpha_chain_id or '-'} / {prepared.status.delta_chain_id or '-'}"
        )
        if request.metrics_listen:
            console.print(f"  metrics: http://{request.metrics_listen}/metrics", highlight=False)
        handle = await distribute(prepared, request.coordinator)
        with live_progress(console) as on_progress:
            done = await execute(
                prepared, handle, request.coordinator, on_progress=on_progress, stop=stop
            )
        if stop.is_set():
            console.print("[yellow]stopped early: the verdict will be INCONCLUSIVE[/]")
        return report(prepared, done)
    finally:
        await asyncio.to_thread(teardown, prepared)
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)


def _coordinator(address: str | None, token_file: Path | None) -> CoordinatorAddress | None:
    """--coordinator and its token, or None; a bad one is a usage error naming the fix."""
    if address is None:
        if token_file is not None:
            raise click.UsageError("--token-file goes with --coordinator HOST:PORT")
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise click.BadParameter(f"{address!r} is not HOST:PORT", param_hint="--coordinator")
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read {token_file}: {exc}", param_hint="--token-file"
            ) from None
    else:
        token = os.environ.get("TESTBOTS_TOKEN", "").strip()
    if not token:
        raise click.UsageError(
            "--coordinator needs the cluster token: set TESTBOTS_TOKEN or pass --token-file PATH"
        )
    return CoordinatorAddress(address, token)


@click.command()
@click.argument("scenario")
@click.option(
    "--size",
    type=click.Choice(["smoke", "default", "full"]),
    default="default",
    show_default=True,
    help="Scenario size: smoke (10 s CI check), default (laptop, ~60 s), full (a real fleet).",
)
@click.option(
    "--target",
    default="simnet",
    show_default=True,
    help="'simnet' (started for the run) or alpha=URL,…,delta=URL,… of a real network.",
)
@click.option(
    "--allow-adversarial",
    is_flag=True,
    help="Flag the --target network for adversarial scenarios (attacks, fuzzing): give it only "
    "for a network you own and accept to attack. simnet needs no flag.",
)
@click.option("--seed", default=None, help="Run seed (default: the scenario's seed).")
@click.option(
    "--simnet-vuln",
    "switches",
    multiple=True,
    metavar="NAME",
    help="Switch a simnet defence off for this run (repeatable); simnet only.",
)
@WORKERS
@click.option(
    "--coordinator",
    "coordinator",
    default=None,
    metavar="HOST:PORT",
    help="Hand the run to this running coordinator and its workers (token from "
    "$TESTBOTS_TOKEN or --token-file) instead of starting one here.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding the cluster token for --coordinator (default: $TESTBOTS_TOKEN).",
)
@click.option(
    "--metrics-listen",
    default=None,
    metavar="HOST:PORT",
    help="Serve the run's live figures for Prometheus at http://HOST:PORT/metrics (from the "
    "coordinator started for the run; off by default).",
)
@click.option("--run-id", default=None, help="Name the run (default: <scenario>-<time>-<hex>).")
@HOME
@SCENARIOS_DIR
def run(
    scenario: str,
    size: str,
    target: str,
    allow_adversarial: bool,
    seed: str | None,
    switches: tuple[str, ...],
    workers: int,
    coordinator: str | None,
    token_file: Path | None,
    metrics_listen: str | None,
    run_id: str | None,
    home: Path | None,
    scenarios_dir: Path | None,
) -> None:
    """Run SCENARIO (an id from scenarios/ or a YAML file) and print its verdict."""
    console = Console(stderr=False)
    request = RunRequest(
        scenario=scenario,
        size=size,
        target=target,
        allow_adversarial=allow_adversarial,
        seed=seed,
        switches=switches,
        workers=workers,
        coordinator=_coordinator(coordinator, token_file),
        metrics_listen=metrics_listen,
        run_id=run_id,
        home=home,
        scenarios_dir=scenarios_dir,
    )
    try:
        report = asyncio.run(_run(request, console))
    except (ScenarioError, RunConfigError, TargetRefused) as exc:  # the user changes something
        click.echo(f"testbots run: {exc}", err=True)
        raise SystemExit(_USAGE) from None
    except (RunError, LocalStackError, ChainError) as exc:
        click.echo(f"testbots run: the run could not start or finish: {exc}", err=True)
        raise SystemExit(3) from None
    for line in summary_lines(report):
        console.print(line, markup=False, highlight=False)
    where = (testbots_home(request.home) / "runs" / report.run_id).resolve()
    console.print(f"  report: {where}/report.json", markup=False, highlight=False)
    raise SystemExit(report.exit_code)
