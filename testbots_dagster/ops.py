"""The four ops every scenario asset is made of: setup -> distribute -> execute -> report.

Each is a few lines around `botruntime.runs.runner`'s stages, the same ones `testbots run`
drives without Dagster. They pass values, never live objects (DESIGN §7): `setup` returns the
`RunSetup` (the compiled plan and what the run started), `distribute` a `RunHandle`, `execute`
an `Execution` whose metrics are a file in the run's folder; `report` reads only those. So any
executor works, each op may run in its own process, and `report` can be re-executed from a
finished run. The runner is imported when an op runs, so loading the code location stays light.
"""

# No `from __future__ import annotations`: Dagster cannot resolve string annotations of
# Config parameters or contexts on ops (DagsterInvalidPythonicConfigDefinitionError).

import asyncio
import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import yaml
from pydantic import Field

from botruntime.runs import Execution, RunHandle, RunReport, RunSetup
from botruntime.runs.html import write_html
from botruntime.scenario import ScenarioError
from testbots_dagster._head_start import HeadStart
from testbots_dagster._metadata import report_metadata
from testbots_dagster.resources import (
    CoordinatorResource,
    ResultsStoreResource,
    TargetResource,
    testbots_home,
)
from testbots_dagster.results_store import RunAlreadyStored, StoreUnavailable

if TYPE_CHECKING:
    from botruntime.runs.runner import Progress

__all__ = ["ScenarioRunConfig", "distribute", "execute", "report", "setup"]

_PROGRESS_EVERY_S = 5.0


class ScenarioRunConfig(dg.Config):
    """One run of one scenario; the factory fills every field from the scenario file."""

    size: str = Field(default="default", description="smoke | default | full")
    seed: str | None = Field(default=None, description="override the scenario's seed")
    switches: list[str] = Field(default_factory=list, description="simnet vulnerable modes")
    target: str = Field(default="", description="empty: the target resource's")
    scenario: dict = Field(description="the scenario document as run")  # Permissive: any YAML
    source_file: str = Field(description="the scenario file the defaults came from")


@dg.op(description="Compile the plan, start or reach the network, guard it, fund the bots.")
def setup(
    context: dg.OpExecutionContext,
    config: ScenarioRunConfig,
    target: TargetResource,
    coordinator: CoordinatorResource,
    head_start: dg.ResourceParam[HeadStart],
) -> RunSetup:
    from botruntime.runs import runner

    run_id = context.run.run_id
    home = testbots_home()
    scenario_file = _scenario_as_run(config, home / "runs" / run_id)
    where, allow_adversarial = target.for_run(config.target)
    external = coordinator.external()
    metrics_listen = coordinator.run_metrics_listen()
    cluster = (
        head_start.cluster_for(run_id, coordinator.workers, metrics_listen)
        if external is None
        else None
    )
    request = runner.RunRequest(
        scenario=str(scenario_file),
        size=config.size,
        target=where,
        allow_adversarial=allow_adversarial,
        seed=config.seed,
        switches=tuple(config.switches),
        run_id=run_id,
        home=home,
        workers=coordinator.workers,
        coordinator=external,
        metrics_listen=metrics_listen,
        cluster=cluster,
    )
    context.log.info(
        f"setting up a {config.size} run of {config.source_file} on {request.target}"
        + (
            f"; its coordinator and {coordinator.workers} worker(s) started as the run began, "
            "while Dagster loaded (python -m testbots_dagster): setup adopts them"
            if cluster is not None
            else ""
        )
    )
    try:
        return asyncio.run(runner.setup(request))
    except ScenarioError as exc:
        raise dg.Failure(
            description=f"the scenario in this run's config cannot run (defaults came from "
            f"{config.source_file}):\n{exc}",
            allow_retries=False,
        ) from None


@dg.op(description="Hand the plan to the coordinator, which places the bots on its workers.")
def distribute(
    context: dg.OpExecutionContext, coordinator: CoordinatorResource, prepared: RunSetup
) -> RunHandle:
    from botruntime.runs import runner

    try:
        handle = asyncio.run(runner.distribute(prepared, coordinator.external()))
    except BaseException:
        runner.teardown(prepared)  # nothing will follow this run: stop what setup started
        raise
    context.log.info(f"run {handle.run_id} placed on {handle.address or 'this process'}")
    return handle


@dg.op(description="Run the load; progress in the log; termination stops every bot.")
def execute(
    context: dg.OpExecutionContext,
    coordinator: CoordinatorResource,
    prepared: RunSetup,
    handle: RunHandle,
) -> Execution:
    from botruntime.runs import runner

    relay = _ProgressRelay(context)
    with asyncio.Runner() as loop_runner:
        loop = loop_runner.get_loop()
        stop = asyncio.Event()
        load_ended = _Moment()
        task = loop.create_task(
            runner.execute(
                prepared,
                handle,
                coordinator.external(),
                on_progress=relay.update,
                stop=stop,
                on_load_ended=load_ended.mark,
            ),
            name=f"execute-{prepared.run_id}",
        )
        try:
            done = loop.run_until_complete(task)
        except BaseException:
            # a run termination arrives here as an exception: stop every bot, let the run
            # end and stop what it started, then let Dagster see the termination
            asked = time.monotonic()
            stop.set()
            _finish(loop, task, _STOP_GRACE_S)
            relay.log_stopped(load_ended.since(asked))
            runner.teardown(prepared)
            raise
    relay.log(force=True)
    return done


_STOP_GRACE_S = 30.0  # for the run to end after its bots stopped: chain reads, the stack's stop


def _finish(loop: asyncio.AbstractEventLoop, task: "asyncio.Task[object]", within_s: float) -> None:
    """Let `task` end on its own for `within_s`, then cancel it; never raises."""
    with contextlib.suppress(BaseException):
        loop.run_until_complete(asyncio.wait([task], timeout=within_s))
    if not task.done():
        task.cancel()
        with contextlib.suppress(BaseException):
            loop.run_until_complete(task)


class _Moment:
    """When something happened (monotonic clock), set once from the run's loop."""

    def __init__(self) -> None:
        self.at: float | None = None

    def mark(self) -> None:
        self.at = time.monotonic()

    def since(self, start: float) -> float | None:
        return None if self.at is None else max(0.0, self.at - start)


@dg.op(description="Verdict and report; store the run; HTML report; metadata for the UI.")
def report(
    context: dg.OpExecutionContext,
    results: ResultsStoreResource,
    prepared: RunSetup,
    execution: Execution,
) -> dg.Output[RunReport]:
    from botruntime.runs import runner

    result = runner.report(prepared, execution)
    try:
        results.store.append(result)
    except RunAlreadyStored:  # a re-executed report: the store keeps the first, equal one
        stored = results.store.get(result.run_id)
        if stored.verdict != result.verdict:
            raise
        context.log.info(f"run {result.run_id} is stored already ({stored.verdict})")
    except StoreUnavailable as exc:  # says whether none of the run is stored or it is unknown
        context.log.error(f"{result.scenario_id}: {result.verdict}, but not stored: {exc}")
        raise
    html = write_html(result, prepared.home / "runs")
    context.log.info(f"{result.scenario_id}: {result.verdict}; HTML report {html}")
    return dg.Output(result, metadata=report_metadata(result, html))


def _scenario_as_run(config: ScenarioRunConfig, run_dir: Path) -> Path:
    """The scenario document of the run config as a file named like its source (it may have
    been edited in the Launchpad); `setup` validates it once, when it compiles the plan."""
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / Path(config.source_file).name
    path.write_text(yaml.safe_dump(config.scenario, sort_keys=False), encoding="utf-8")
    return path


class _ProgressRelay:
    """Logs the latest progress of the run every 5 s."""

    def __init__(self, context: dg.OpExecutionContext) -> None:
        self._context = context
        self._latest: Progress | None = None
        self._logged: Progress | None = None
        self._last_log_s = time.monotonic()

    def update(self, progress: "Progress") -> None:
        self._latest = progress
        self.log()

    def log_stopped(self, after_s: float | None) -> None:
        if after_s is not None:
            self._context.log.warning(f"run terminated: every bot stopped {after_s:.2f} s after")
        else:
            self._context.log.error(
                f"run terminated: the load did not end within {_STOP_GRACE_S:.0f} s; cancelled"
            )

    def log(self, force: bool = False) -> None:
        p = self._latest
        due = force or time.monotonic() - self._last_log_s >= _PROGRESS_EVERY_S
        if p is None or p is self._logged or not due:
            return
        self._context.log.info(
            f"{p.elapsed_s:.0f}/{p.total_s:.0f} s · offered {p.offered_per_s:.1f}/s · "
            f"achieved {p.achieved_per_s:.1f}/s · p99 {_ms(p.p99_ms)} · "
            f"errors {p.errors} · dropped {p.dropped} · blocked {p.blocked}"
        )
        self._logged, self._last_log_s = p, time.monotonic()


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"
