"""`testbots mutation`: run the mutant of every (scenario, switch) pair a criterion names.

Each pair is one ordinary run on simnet with that one switch on (report under
`$TESTBOTS_HOME/runs/<run id>/`), judged by `botruntime.runs.judge_pair`. Prints each pair's
outcome as it is known, then the detection power. Exit codes: 0 every pair killed, 1 a mutant
survived, 2 usage error, 3 a pair not shown killed (its run was inconclusive or broke).

`--catch-all ID` runs the scenario's catch-all instead (SCENARIOS.md L9): one run with each
switch none of its criteria names; a mutant killed made the verdict FAIL, a survivor is
printed as WARN and does not fail the command (exit 0, or 3 when a run was inconclusive).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from botruntime.behaviors import check_behaviours
from botruntime.chain.errors import ChainError
from botruntime.commands._options import HOME, SCENARIOS_DIR, WORKERS
from botruntime.local import LocalStackError
from botruntime.runs import (
    DetectionPower,
    MutationPair,
    PairOutcome,
    RunConfigError,
    RunError,
    failed_to_run,
    judge_pair,
    select_catch_all,
    select_pairs,
)
from botruntime.runs.runner import RunRequest, run_scenario
from botruntime.scenario import (
    ExitCode,
    Scenario,
    ScenarioError,
    find_scenarios_dir,
    list_scenarios,
    load_scenario,
)

__all__ = ["mutation"]


def _scenarios(ids: tuple[str, ...], directory: Path | None) -> list[Scenario]:
    """The scenarios asked for (every one in the folder by default), valid and runnable."""
    folder = find_scenarios_dir(directory)
    chosen = ids or tuple(list_scenarios(folder))
    loaded = [load_scenario(scenario_id, folder) for scenario_id in chosen]
    for one in loaded:
        check_behaviours(one.scenario, file=one.path.name)
    return [one.scenario for one in loaded]


def _run_pair(
    pair: MutationPair,
    size: str,
    workers: int,
    home: Path | None,
    scenarios_dir: Path | None,
) -> PairOutcome:
    request = RunRequest(
        scenario=pair.scenario_id,
        size=size,
        switches=(pair.switch,),
        workers=workers,
        home=home,
        scenarios_dir=scenarios_dir,
    )
    try:
        report = asyncio.run(run_scenario(request))
    except (RunError, LocalStackError, ChainError, RunConfigError, ScenarioError) as exc:
        return failed_to_run(pair, str(exc))
    return judge_pair(pair, report)


@click.command()
@click.option(
    "--size",
    type=click.Choice(["smoke", "default", "full"]),
    default="default",
    show_default=True,
    help="Size of every mutant run (`make mutation` uses smoke).",
)
@click.option(
    "--scenario",
    "scenario_ids",
    multiple=True,
    metavar="ID",
    help="Only this scenario's pairs (repeatable; default: every scenario).",
)
@click.option(
    "--switch",
    "switches",
    multiple=True,
    metavar="NAME",
    help="Only the pairs of this simnet switch (repeatable).",
)
@click.option(
    "--catch-all",
    "catch_all",
    multiple=True,
    metavar="ID",
    help="Instead: this scenario with each switch no criterion of it names; a survivor "
    "WARNs (repeatable).",
)
@WORKERS
@HOME
@SCENARIOS_DIR
def mutation(
    size: str,
    scenario_ids: tuple[str, ...],
    switches: tuple[str, ...],
    catch_all: tuple[str, ...],
    workers: int,
    home: Path | None,
    scenarios_dir: Path | None,
) -> None:
    """Run every mutant a criterion names on simnet; each must FAIL on its criterion."""
    if catch_all and scenario_ids:
        raise click.UsageError(
            "--catch-all runs the switches no criterion names, --scenario those named: "
            "one at a time"
        )
    try:
        if catch_all:
            pairs = select_catch_all(_scenarios(catch_all, scenarios_dir), switches)
        else:
            pairs = select_pairs(_scenarios(scenario_ids, scenarios_dir), switches)
    except ScenarioError as exc:
        click.echo(f"testbots mutation: {exc}", err=True)
        raise SystemExit(int(ExitCode.USAGE)) from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--switch") from None
    if not pairs:
        click.echo("testbots mutation: no criterion of these scenarios names a switch to kill")
        raise SystemExit(0)
    kind = "catch-all mutants" if catch_all else "mutants"
    click.echo(f"{len(pairs)} {kind} at size {size}: {', '.join(p.name for p in pairs)}")
    outcomes = []
    for pair in pairs:
        outcome = _run_pair(pair, size, workers, home, scenarios_dir)
        outcomes.append(outcome)
        click.echo(outcome.line())
    power = DetectionPower(tuple(outcomes))
    for line in power.score_lines():
        click.echo(line)
    raise SystemExit(power.exit_code)
