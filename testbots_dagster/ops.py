"""The four ops every scenario asset is made of: setup -> distribute -> execute -> report.

Each is a few lines around `botruntime.runs.runner.ScenarioRun`, the same staged run that
`testbots run` drives without Dagster. What passes between ops is the run id; the live
`ScenarioRun` waits in `LiveRunsResource` (same process: the in-process executor).
The runner is imported when an op runs, so loading the code location stays light.
"""

# No `from __future__ import annotations`: Dagster cannot resolve string annotations of
# Config parameters or contexts on ops (DagsterInvalidPythonicConfigDefinitionError).

import time
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import yaml
from pydantic import Field

from botruntime.runs import RunReport
from botruntime.runs.html import write_html
from botruntime.scenario import ScenarioError, load_scenario
from testbots_dagster._metadata import report_metadata
from testbots_dagster.resources import (
    CoordinatorResource,
    LiveRunsResource,
    ResultsStoreResource,
    TargetResource,
)

if TYPE_CHECKING:
    from botruntime.runs.runner import Progress

__all__ = ["ScenarioRunConfig", "distribute", "execute", "report", "setup"]

_PROGRESS_EVERY_S = 5.0


class ScenarioRunConfig(dg.Config):
    """One run of one scenario; the factory fills every field from the scenario file."""

    size: str = Field(default="default", description="smoke | default | full")
    seed: str | None = Field(default=None, description="override the scenario's seed")
    switches: list[str] = Field(default_factory=list, description="simnet vulnerable modes")
    scenario: dict = Field(description="the scenario document as run")  # Permissive: any YAML
    source_file: str = Field(description="the scenario file the defaults came from")


@dg.op(description="Target guard, start or reach the network, fund the bots.")
def setup(
    context: dg.OpExecutionContext,
    config: ScenarioRunConfig,
    target: TargetResource,
    coordinator: CoordinatorResource,
    live_runs: LiveRunsResource,
) -> str:
    from botruntime.runs.runner import RunRequest, ScenarioRun

    run_id = context.run.run_id
    scenario_file = _scenario_as_run(config, live_runs.home_path / "runs" / run_id)
    request = RunRequest(
        scenario=str(scenario_file),
        size=config.size,
        target=target.target,
        seed=config.seed,
        switches=tuple(config.switches),
        run_id=run_id,
        home=live_runs.home_path,
        workers=coordinator.workers,
        coordinator=coordinator.external(),
    )
    context.log.info(f"setting up {config.size} run of {scenario_file} against {target.target}")
    live_runs.runs.put(run_id, live_runs.runs.call(ScenarioRun.setup(request)))
    return run_id


@dg.op(description="Hand the plan and the bots to the coordinator.")
def distribute(context: dg.OpExecutionContext, live_runs: LiveRunsResource, run_id: str) -> str:
    live_runs.runs.call(live_runs.runs.get(run_id).distribute())
    return run_id


@dg.op(description="Run the load; progress in the log; termination stops every bot.")
def execute(context: dg.OpExecutionContext, live_runs: LiveRunsResource, run_id: str) -> str:
    runs = live_runs.runs
    relay = _ProgressRelay(context)
    stop = runs.new_event()
    coro = runs.get(run_id).execute(on_progress=relay.update, stop=stop)
    runs.call(
        coro,
        on_wait=relay.log_if_due,
        stop=stop,
        grace_s=live_runs.stop_grace_s,
        on_stopped=relay.log_stopped,
    )
    relay.log_if_due(force=True)
    return run_id


@dg.op(description="Verdict and report; store the run; HTML report; metadata for the UI.")
def report(
    context: dg.OpExecutionContext,
    live_runs: LiveRunsResource,
    results: ResultsStoreResource,
    run_id: str,
) -> dg.Output[RunReport]:
    runs = live_runs.runs
    try:
        result = runs.call(runs.get(run_id).report())
    finally:
        runs.close(run_id)  # stop simnet and workers now; the checks need only the store
    results.store.append(result)
    html = write_html(result, live_runs.home_path / "runs")
    context.log.info(f"{result.scenario_id}: {result.verdict}; HTML report {html}")
    return dg.Output(result, metadata=report_metadata(result, html))


def _scenario_as_run(config: ScenarioRunConfig, run_dir: Path) -> Path:
    """The scenario document of the run config as a file, validated (it may have been edited)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "scenario.yaml"
    path.write_text(yaml.safe_dump(config.scenario, sort_keys=False), encoding="utf-8")
    try:
        load_scenario(path).scenario.size(config.size)
    except ScenarioError as exc:
        raise dg.Failure(
            description=f"the scenario in this run's config is not valid "
            f"(defaults came from {config.source_file}):\n{exc}",
            allow_retries=False,
        ) from None
    return path


class _ProgressRelay:
    """Progress arrives on the run's loop thread; the op's thread logs the latest every 5 s."""

    def __init__(self, context: dg.OpExecutionContext) -> None:
        self._context = context
        self._latest: Progress | None = None
        self._logged: Progress | None = None
        self._last_log_s = time.monotonic()

    def update(self, progress: "Progress") -> None:
        self._latest = progress  # one reference swap: safe across threads

    def log_if_due(self, force: bool = False) -> None:
        p = self._latest
        due = force or time.monotonic() - self._last_log_s >= _PROGRESS_EVERY_S
        if p is None or p is self._logged or not due:
            return
        self._context.log.info(
            f"{p.elapsed_s:.0f}/{p.total_s:.0f} s · offered {p.offered_per_s:.1f}/s · "
            f"achieved {p.achieved_per_s:.1f}/s · p99 {_ms(p.p99_ms)} · "
            f"errors {p.errors} · dropped {p.dropped}"
        )
        self._logged, self._last_log_s = p, time.monotonic()

    def log_stopped(self, after_s: float, by_itself: bool) -> None:
        if by_itself:
            self._context.log.warning(f"run terminated: every bot stopped {after_s:.2f} s after")
        else:
            self._context.log.error(
                f"run terminated: bots still running {after_s:.2f} s after the stop; cancelled"
            )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"
