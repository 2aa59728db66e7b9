"""`python -m testbots_dagster.mutation`: the mutation sweep through Dagster (`make mutation`).

Each (scenario, switch) pair's mutant runs as its scenario's job (`scenario_<id>` with that
switch on, on simnet), in this process, on the Dagster instance under `DAGSTER_HOME`, as the
weekly schedule's runs do through the daemon: its report goes to the results store and its
checks (`detects_vulnerability`) are evaluated; at the end the report assets, among them
`detection_power`, are materialized, so `make ui` shows the sweep. It prints what `testbots
mutation` (the same sweep without Dagster) prints, and exits alike: 0 every pair killed, 1 a
mutant survived, 2 usage error, 3 a pair not shown killed. `--catch-all ID` runs that
scenario's catch-all instead (each switch none of its criteria names; a survivor WARNs), as
`testbots mutation --catch-all` does.
"""

# No `from __future__ import annotations`: this module builds Dagster run config at run time.

import os
import sys
from pathlib import Path

import click
import dagster as dg

from botruntime.runs import (
    DetectionPower,
    MutationPair,
    PairOutcome,
    failed_to_run,
    judge_pair,
    select_catch_all,
    select_pairs,
    testbots_home,
)
from botruntime.scenario import find_scenarios_dir
from testbots_dagster._sqlite_writes import fewer_syncs
from testbots_dagster.definitions import RESULTS_URL_ENV, build_definitions
from testbots_dagster.factory import BuiltScenario, ScenarioLoadError, build_scenario, load_sources
from testbots_dagster.results_store import ResultsStore, RunNotFound, default_url
from testbots_dagster.schedules import SWITCH_TAG, TRIGGER_TAG

__all__ = ["main"]

_USAGE = 2
# the sweep prints one line per pair; Dagster's own log keeps only what went wrong
_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _run_pair(
    defs: dg.Definitions,
    built: BuiltScenario,
    pair: MutationPair,
    size: str,
    instance: dg.DagsterInstance,
    store: ResultsStore,
) -> PairOutcome:
    config = {"size": size, "switches": [pair.switch], "target": "simnet"}
    result = defs.resolve_job_def(f"scenario_{pair.scenario_id}").execute_in_process(
        instance=instance,
        run_config={"ops": {built.config_key: {"config": config}}, **_QUIET},
        tags={TRIGGER_TAG: "mutation", SWITCH_TAG: pair.switch},
        raise_on_error=False,
    )
    try:
        return judge_pair(pair, store.get(result.run_id))
    except RunNotFound:
        return failed_to_run(
            pair, f"Dagster run {result.run_id} ended without a report (its log is in the UI)"
        )


@click.command()
@click.option(
    "--size",
    type=click.Choice(["smoke", "default", "full"]),
    default="default",
    show_default=True,
    help="Size of every mutant run (`make mutation` uses smoke).",
)
@click.option("--scenario", "scenario_ids", multiple=True, metavar="ID", help="Only its pairs.")
@click.option("--switch", "switches", multiple=True, metavar="NAME", help="Only its pairs.")
@click.option(
    "--catch-all",
    "catch_all",
    multiple=True,
    metavar="ID",
    help="Instead: this scenario with each switch no criterion names (a survivor WARNs).",
)
def main(
    size: str, scenario_ids: tuple[str, ...], switches: tuple[str, ...], catch_all: tuple[str, ...]
) -> None:
    """Run every mutant a criterion names through Dagster; each must FAIL on its criterion."""
    if catch_all and scenario_ids:
        raise click.UsageError("--catch-all and --scenario: one at a time")
    if not os.environ.get("DAGSTER_HOME"):
        raise click.UsageError("set DAGSTER_HOME (make mutation sets it to $TESTBOTS_HOME/dagster)")
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    folder = find_scenarios_dir()
    try:
        sources = load_sources(folder)
        defs = build_definitions(folder)
    except ScenarioLoadError as exc:
        click.echo(f"testbots: {exc}", err=True)
        sys.exit(_USAGE)
    asked = catch_all or scenario_ids
    unknown = sorted(set(asked) - {s.id for s in sources})
    if unknown:
        raise click.BadParameter(
            f"no scenario {', '.join(unknown)} in {folder}",
            param_hint="--catch-all" if catch_all else "--scenario",
        )
    chosen = [s for s in sources if not asked or s.id in asked]
    select = select_catch_all if catch_all else select_pairs
    try:
        pairs = select([s.loaded.scenario for s in chosen], switches)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--switch") from None
    built = {s.id: build_scenario(s) for s in chosen}
    kind = "catch-all mutants" if catch_all else "mutants"
    click.echo(f"{len(pairs)} {kind} at size {size}: {', '.join(p.name for p in pairs)}")
    outcomes = []
    url = os.environ.get(RESULTS_URL_ENV) or default_url(testbots_home())
    with (
        fewer_syncs(Path(os.environ["DAGSTER_HOME"])),
        dg.DagsterInstance.get() as instance,
        ResultsStore(url) as store,
    ):
        for pair in pairs:
            outcome = _run_pair(defs, built[pair.scenario_id], pair, size, instance, store)
            outcomes.append(outcome)
            click.echo(outcome.line())
        defs.resolve_job_def("refresh_reports").execute_in_process(
            instance=instance, run_config=_QUIET
        )
    power = DetectionPower(tuple(outcomes))
    for line in power.score_lines():
        click.echo(line)
    click.echo("  detection_power and every mutant run are in the Dagster UI: make ui")
    sys.exit(power.exit_code)


if __name__ == "__main__":
    main()
