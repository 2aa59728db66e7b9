"""`python -m testbots_dagster SCENARIO`: run a scenario's job through Dagster, print the verdict.

This is what `make run` does: the run goes through the same job the UI launches
(`scenario_<id>`), on the Dagster instance under `DAGSTER_HOME`, so afterwards the run, its
asset materialization and its checks are in the UI (`make ui`). Exit codes are those of
`testbots run` (0 pass, 1 fail, 2 usage, 3 inconclusive, 4 regression).

The run's coordinator and workers start first (`_head_start`), Dagster is imported after, so
they boot while it loads; the run's setup adopts them. Once the verdict is printed the process
exits without the interpreter's teardown of everything Dagster imported (`_exit_at_once`).
"""

# No `from __future__ import annotations`: this module builds Dagster run config at run time.

import logging
import os
import sys
import uuid
from pathlib import Path
from typing import NoReturn

import click

from botruntime.runs import summary_lines, testbots_home
from botruntime.scenario import ScenarioError, find_scenarios_dir, list_scenarios
from testbots_dagster._head_start import HeadStart

_USAGE, _INCONCLUSIVE = 2, 3


@click.command()
@click.argument("scenario")
@click.option(
    "--size",
    type=click.Choice(["smoke", "default", "full"]),
    default="default",
    show_default=True,
)
def main(scenario: str, size: str) -> None:
    """Run SCENARIO's Dagster job (scenario_<id>) on the instance under DAGSTER_HOME."""
    if not os.environ.get("DAGSTER_HOME"):
        raise click.UsageError("set DAGSTER_HOME (make run sets it to $TESTBOTS_HOME/dagster)")
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    scenarios_dir = find_scenarios_dir()
    run_id = str(uuid.uuid4())  # the Dagster run's id, known before Dagster is imported
    home = testbots_home().resolve()
    if _exists(scenarios_dir, scenario):
        with HeadStart.begin(run_id, home) as head_start:
            _run(scenarios_dir, scenario, size, run_id, head_start)
    else:
        _run(scenarios_dir, scenario, size, run_id, HeadStart())  # says which ids there are


def _exists(scenarios_dir: Path, scenario: str) -> bool:
    try:
        return scenario in list_scenarios(scenarios_dir)
    except ScenarioError:
        return False  # the job's definitions name the problem


def _run(scenarios_dir: Path, scenario: str, size: str, run_id: str, head_start: HeadStart) -> None:
    # imported here, not at the top (nor the results store, SQLAlchemy): the run's
    # coordinator and workers boot meanwhile
    import dagster as dg

    from testbots_dagster._sqlite_writes import fewer_syncs
    from testbots_dagster.definitions import build_job_definitions
    from testbots_dagster.factory import ScenarioLoadError
    from testbots_dagster.results_store import ResultsStore, RunNotFound

    try:
        defs = build_job_definitions(scenarios_dir, scenario, head_start)
    except (ScenarioError, ScenarioLoadError) as exc:
        click.echo(f"testbots: {exc}", err=True)
        sys.exit(_USAGE)
    job_name = f"scenario_{scenario}"
    try:
        job = defs.resolve_job_def(job_name)
    except dg.DagsterInvariantViolationError:
        click.echo(
            f"testbots: no job {job_name}: `testbots scenarios list` shows the ids", err=True
        )
        sys.exit(_USAGE)
    node = f"scenarios__{scenario}"
    with fewer_syncs(Path(os.environ["DAGSTER_HOME"])), dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            run_config={
                "ops": {node: {"config": {"size": size}}},
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
            },
            run_id=run_id,
            raise_on_error=False,
        )
    try:
        with ResultsStore.at_home(testbots_home()) as store:
            report = store.get(result.run_id)
    except RunNotFound:
        click.echo(
            f"testbots: Dagster run {result.run_id} ended without a stored report "
            f"(success={result.success}); its log is in the UI (make ui)",
            err=True,
        )
        sys.exit(_INCONCLUSIVE)
    for line in summary_lines(report):
        click.echo(line)
    click.echo(f"  Dagster run {result.run_id}: open `make ui` to see it, its asset and checks")
    sys.exit(report.exit_code)


def _exit_at_once(code: object) -> NoReturn:
    """Exit with `code` (a `SystemExit`'s) without the interpreter's teardown: by now the run
    is over, its children stopped, the instance, the event log's connections and the results
    store closed, so there is nothing left to clean up but the ~3,000 modules Dagster and the
    runner import, whose teardown takes 0.4-0.7 s after the verdict is printed."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # what the interpreter does with a message
        print(code, file=sys.stderr)
        status = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    try:
        main()
    except SystemExit as done:
        _exit_at_once(done.code)
