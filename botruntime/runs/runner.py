"""One scenario run in four stages that pass only values: setup → distribute → execute → report.

`run_scenario` does all four for `testbots run`; Dagster calls them one op each, possibly each
in its own process (`_values.py` says what travels). A run never leaves a process behind:
`execute` stops what `setup` started once the load is over, and `teardown` (idempotent) does
it after a failure at any stage. Errors are drawn in `_errors.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from botruntime.fleet import FleetOutcome
from botruntime.identity import derive_batch
from botruntime.local import simnet_args, start_simnet
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder, RunMetrics
from botruntime.plan import CapacityUnknown, PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs._baseline import baseline_exprs, find_baselines, measures
from botruntime.runs._capacity_store import resolve_capacity
from botruntime.runs._chain_heights import follow_heights
from botruntime.runs._crew_value import crew_profit_dx
from botruntime.runs._determinism import check_determinism, reads_determinism, with_determinism
from botruntime.runs._errors import (
    AdversarialRefused,
    CapExceeded,
    ChainIdRefused,
    CoordinatorLost,
    RunConfigError,
    RunError,
    TargetRefused,
)
from botruntime.runs._evidence import gather_evidence, read_invariants, status_reachable
from botruntime.runs._executors import ClusterRun, CoordinatorAddress, InProcess, place
from botruntime.runs._funding import fund_from_funder, fund_on_simnet, funder_from_env
from botruntime.runs._guard import check_target
from botruntime.runs._markets import maker_funding, market_maker, seed_markets
from botruntime.runs._mempool_samples import follow_mempools
from botruntime.runs._metrics_file import read_metrics, write_metrics
from botruntime.runs._report_build import build_report
from botruntime.runs._request import Progress, RunRequest, new_run_id, testbots_home
from botruntime.runs._script import run_script
from botruntime.runs._server_samples import follow_server
from botruntime.runs._soak import FleetProcess, follow_processes
from botruntime.runs._stack import Stack, start_cluster
from botruntime.runs._text import summary_lines
from botruntime.runs._values import Execution, RunHandle, RunSetup, TargetStatus
from botruntime.runs.report import RunReport
from botruntime.scenario import ScenarioNotFound, SimnetProfile, scenario_path

__all__ = [
    "AdversarialRefused",
    "CapExceeded",
    "ChainIdRefused",
    "Execution",
    "Progress",
    "RunConfigError",
    "RunError",
    "RunHandle",
    "RunRequest",
    "RunSetup",
    "Stack",
    "TargetRefused",
    "distribute",
    "execute",
    "report",
    "run_scenario",
    "setup",
    "start_cluster",
    "teardown",
    "testbots_home",
]

_log = logging.getLogger("botruntime.runs")
_IN_PROCESS_START_S = 0.1  # from the fleet being ready to the plan's offset 0


# ---- setup ----------------------------------------------------------------------------------


async def setup(request: RunRequest) -> RunSetup:
    """Compile the plan (the scenario is validated here, once), start what the run needs
    (simnet, an embedded cluster), check the target is one we may load, fund the bots."""
    if request.workers < 0:
        raise RunConfigError(f"--workers is 0 or more, got {request.workers}")
    if request.workers == 0 and request.coordinator is not None:
        raise RunConfigError(
            "--workers 0 runs the bots in this process, which --coordinator cannot: "
            "drop one of them"
        )
    _check_metrics_listen(request)
    _check_cluster(request)
    home = testbots_home(request.home).resolve()
    plan = await _compile(request, home)
    run_dir = home / "runs" / plan.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    try:
        if plan.target.is_simnet:
            args = _simnet_start_args(plan)
            handle, endpoints = await asyncio.to_thread(start_simnet, args, run_dir / "simnet.log")
            stack = dataclasses.replace(stack, simnet=handle)
            stack.save(run_dir)
            plan = plan.on(
                plan.target.with_simnet(endpoints.alpha, endpoints.delta, endpoints.control)
            )
        status = await _guard(plan)
        await _fund(plan)
        async with httpx.AsyncClient(timeout=30.0) as http:
            invariants_start = await read_invariants(http, plan.target.control)
        if request.workers > 0 and request.coordinator is None:
            stack = await _embedded_cluster(request, stack, run_dir)
            stack.save(run_dir)
    except BaseException:
        await asyncio.to_thread(stack.stop)
        raise
    return RunSetup(
        plan=plan,
        home=home,
        status=status,
        invariants_start=invariants_start,
        stack=stack,
        workers=request.workers,
        external=request.coordinator.address if request.coordinator else "",
        started_at_s=time.time(),
    )


async def _embedded_cluster(request: RunRequest, stack: Stack, run_dir: Path) -> Stack:
    """The run's coordinator and workers: the ones started ahead for it (`request.cluster`),
    else started now; `stack` gains them."""
    if request.cluster is None:
        return await asyncio.to_thread(
            start_cluster, stack, run_dir, request.workers, request.metrics_listen
        )
    early = await asyncio.wrap_future(request.cluster)
    if len(early.workers) != request.workers:
        await asyncio.to_thread(early.stop)
        raise RunConfigError(
            f"the cluster started ahead for run {run_dir.name} has {len(early.workers)} "
            f"workers, the run asks for {request.workers}: start as many ahead, or none "
            "(setup then starts them)"
        )
    return dataclasses.replace(early, simnet=stack.simnet)


def _check_cluster(request: RunRequest) -> None:
    """A cluster started ahead is an embedded one without /metrics: refuse a run that
    wants another, before anything starts."""
    if request.cluster is None:
        return
    wants = (
        "its bots in this process (--workers 0)"
        if request.workers == 0
        else f"the coordinator at {request.coordinator.address}"
        if request.coordinator is not None
        else f"/metrics on {request.metrics_listen}"
        if request.metrics_listen is not None
        else ""
    )
    if wants:
        raise RunConfigError(
            f"a coordinator and workers were started ahead for this run, but it wants {wants}: "
            "start none ahead (setup starts what the run asks for)"
        )


def _check_metrics_listen(request: RunRequest) -> None:
    """/metrics of a run is its embedded coordinator's: refuse a run that starts none."""
    listen = request.metrics_listen
    if listen is None:
        return
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise RunConfigError(f"--metrics-listen {listen!r} is not HOST:PORT, e.g. 127.0.0.1:9464")
    if request.coordinator is not None:
        raise RunConfigError(
            "--metrics-listen serves the /metrics of a coordinator started for the run: with "
            "--coordinator, scrape that coordinator's own --metrics-listen instead"
        )
    if request.workers == 0:
        raise RunConfigError(
            "--metrics-listen serves the /metrics of the run's coordinator, and --workers 0 "
            "starts none: give --workers 1 or more"
        )


def _simnet_start_args(plan: RunPlan) -> list[str]:
    """How the run's simnet starts: the scenario's profile, the run's seed and switches."""
    profile = plan.scenario.simnet
    return simnet_args(
        seed=plan.seed,
        nodes=profile.nodes or 4,
        block_time_s=plan.block_time_s,
        switches=plan.switches,
        extra_args=_profile_args(profile),
    )


def _profile_args(profile: SimnetProfile) -> list[str]:
    """The scenario's simnet profile as simnet's flags (the ones simnet takes so far)."""
    flags = (
        ("--max-block-txs", profile.max_txs_per_block),
        ("--mempool-max-txs", profile.mempool_max_txs),
        ("--admission-queue", profile.admission_queue),
        ("--keepalive-idle-s", profile.keepalive_idle_s),
        ("--max-requests-per-connection", profile.max_requests_per_connection),
    )
    alpha = [
        arg
        for name, value in profile.alpha_params().items()
        for arg in ("--alpha-param", f"{name}={value}")
    ]
    return [arg for flag, value in flags if value is not None for arg in (flag, str(value))] + alpha


async def _compile(request: RunRequest, home: Path) -> RunPlan:
    """The run's plan from the scenario file as it is now (on simnet, before its URLs); a
    size whose rates are fractions of C_tx gets the latest C_tx measured on the target."""
    path = scenario_path(request.scenario, request.scenarios_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioNotFound(
            f"{path}: cannot be read ({exc})",
            file=str(path),
            fix="give a readable scenario YAML file, or a scenario id",
        ) from None
    source = PlanSource(
        scenario_yaml=text,
        size=request.size,
        seed=request.seed or "",
        target=parse_target(request.target, allow_adversarial=request.allow_adversarial),
        run_id=request.run_id or new_run_id(path.stem),
        switches=tuple(request.switches),
        scenario_name=path.name,
        base_dir=str(path.parent),
    )
    try:
        return compile_plan(source)
    except CapacityUnknown as unknown:
        capacity = await resolve_capacity(source.target, home / "runs", unknown)
        return compile_plan(dataclasses.replace(source, capacity_tx_per_s=capacity.c_tx_per_s))


async def _guard(plan: RunPlan) -> TargetStatus:
    """Read each chain's `/status`, then let `check_target` refuse what DESIGN §8 refuses."""
    ids: dict[str, str] = {}
    block_time_s: float | None = None
    version: str | None = None
    async with httpx.AsyncClient(timeout=10.0) as http:
        for chain, urls in (("alpha", plan.target.alpha), ("delta", plan.target.delta)):
            if not urls:
                continue
            status = (await http.get(f"{urls[0]}/status")).json()
            ids[chain] = str(status.get("chain_id"))
            if isinstance(status.get("block_time_ms"), int) and status["block_time_ms"] > 0:
                block_time_s = status["block_time_ms"] / 1000
            if isinstance(status.get("version"), str) and version is None:
                version = status["version"]
    check_target(plan, ids)
    return TargetStatus(ids.get("alpha"), ids.get("delta"), block_time_s, version)


async def _fund(plan: RunPlan) -> None:
    """Fund every bot of the run with its spend cap and create the scenario's markets, all
    outside the timed window."""
    bots = list(derive_batch(plan.seed, 0, plan.bots))
    target = plan.target
    markets = plan.scenario.markets
    if target.is_simnet:
        assert target.control is not None
        maker = market_maker(plan.seed)
        others = [(maker, maker_funding(markets))] if markets.pools else []
        await fund_on_simnet(target.control, plan.seed, bots, plan.funding, others)
        await seed_markets(markets, target.delta, maker)
        return
    funder = funder_from_env()
    await fund_from_funder(
        funder,
        target.alpha[0] if target.alpha else None,
        target.delta[0] if target.delta else None,
        bots,
        plan.funding,
        plan.spend_total,
    )
    await seed_markets(markets, target.delta, funder)


def coordinator_of(setup: RunSetup, external: CoordinatorAddress | None) -> CoordinatorAddress:
    """The coordinator the run goes to: the external one given, else the embedded one."""
    if setup.external:
        if external is None or external.address != setup.external:
            raise RunConfigError(
                f"run {setup.run_id} runs on the coordinator at {setup.external}: give its "
                "address and token to every stage"
            )
        return external
    embedded = setup.stack.embedded()
    if embedded is None:
        raise RunConfigError(f"run {setup.run_id} has no coordinator: its bots run in-process")
    return embedded


# ---- distribute ---------------------------------------------------------------------------


async def distribute(setup: RunSetup, external: CoordinatorAddress | None = None) -> RunHandle:
    """Hand the plan to the coordinator (it splits the bots and the load over its workers)."""
    if setup.in_process:
        return RunHandle(setup.run_id, "", 0.0)  # the fleet is built where it runs
    coordinator = coordinator_of(setup, external)
    view = await place(coordinator, setup.plan, setup.workers)
    return RunHandle(view.run_id, coordinator.address, view.start_at_unix_s)


# ---- execute ------------------------------------------------------------------------------


async def execute(
    setup: RunSetup,
    handle: RunHandle,
    external: CoordinatorAddress | None = None,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    stop: asyncio.Event | None = None,
    on_load_ended: Callable[[], None] | None = None,
) -> Execution:
    """Run the load to its end, then read the chain's side of it and stop what setup started.
    `stop` ends the run early (every bot within 2 s); its verdict is then INCONCLUSIVE.
    `on_load_ended` hears the moment every bot has stopped."""
    stop = stop or asyncio.Event()
    try:
        return await _execute(setup, handle, external, on_progress, stop, on_load_ended)
    finally:
        await asyncio.to_thread(setup.stack.stop)


async def _execute(
    setup: RunSetup,
    handle: RunHandle,
    external: CoordinatorAddress | None,
    on_progress: Callable[[Progress], None] | None,
    stop: asyncio.Event,
    on_load_ended: Callable[[], None] | None,
) -> Execution:
    plan = setup.plan
    own = Recorder(source="runner")  # what this process does itself: operator script steps
    own_deltas: list[IntervalDelta] = []
    fleet_deltas: list[IntervalDelta] = []
    cluster = (
        None if setup.in_process else ClusterRun(coordinator_of(setup, external), handle.run_id)
    )
    in_process = InProcess(plan) if setup.in_process else None
    live = cluster.metrics if cluster is not None else RunMetrics()
    lost: CoordinatorLost | None = None

    async def own_sink(delta: IntervalDelta) -> None:
        own_deltas.append(delta)
        live.ingest(delta)

    async def fleet_sink(delta: IntervalDelta) -> None:
        fleet_deltas.append(delta)
        live.ingest(delta)

    try:
        if in_process is not None:
            await in_process.setup()
            start_ts = time.perf_counter() + _IN_PROCESS_START_S
        else:
            start_ts = time.perf_counter() + (handle.start_at_unix_s - time.time())
        pump = IntervalPump(own, own_sink, start_ts=start_ts)
        progress = _ProgressLoop(live, plan.duration_s, start_ts, on_progress)
        async with asyncio.TaskGroup() as tg:
            pumping = tg.create_task(pump.run(), name="runner-pump")
            scripting = tg.create_task(_script(plan, start_ts, own), name="operator-script")
            following = tg.create_task(
                follow_heights(plan.target, own, start_ts), name="chain-heights"
            )
            sampling = tg.create_task(
                follow_mempools(plan.target, own, start_ts), name="mempool-samples"
            )
            watching = tg.create_task(
                follow_server(plan.target, own, start_ts), name="server-samples"
            )
            processes = tg.create_task(
                follow_processes(_fleet_processes(setup), own, start_ts),
                name="process-samples",
            )
            reporting = tg.create_task(progress.run(), name="progress")
            try:
                if in_process is not None:
                    await in_process.run(start_ts, fleet_sink, stop)
                else:
                    assert cluster is not None
                    try:
                        await cluster.follow(stop)
                    except CoordinatorLost as exc:
                        lost = exc
            finally:
                ended_ts = time.perf_counter()
                if on_load_ended is not None:
                    on_load_ended()
                scripting.cancel()  # a step timed after the plan's end never runs
                following.cancel()
                sampling.cancel()
                watching.cancel()
                processes.cancel()
                reporting.cancel()
                pump.stop()
                await pumping
        if in_process is not None:
            outcome = await in_process.outcome()
            notes: list[str] = []
            invalid: list[str] = []
            merged: list[IntervalDelta] = []
            lost_beyond_policy = 0  # one process: no worker to lose
        elif lost is not None:
            # what the follower had is all there is: the report says so and is still made
            assert cluster is not None
            outcome, notes, invalid = FleetOutcome(), [str(lost)], [str(lost)]
            lost_beyond_policy = 0
            merged = cluster.metrics.put_intervals()
        else:
            assert cluster is not None
            outcome, notes, invalid = cluster.outcome()
            lost_beyond_policy = cluster.lost_beyond_policy()
            merged = await cluster.merged_intervals()
    finally:
        if in_process is not None:
            await in_process.close()
        if cluster is not None:
            await cluster.stop_if_running()
    async with httpx.AsyncClient(timeout=30.0) as http:
        invariants_end = await read_invariants(http, plan.target.control)
        if plan.target.control is None:
            # a real network has no invariant endpoint: G4 then asks whether the public
            # source the framework reads (every chain's /status) answered at the end
            urls = [*plan.target.alpha[:1], *plan.target.delta[:1]]
            reachable = await status_reachable(http, urls)
        else:
            reachable = invariants_end is not None
    if plan.target.control is not None and reads_determinism(plan.scenario):
        determinism = await check_determinism(
            plan.target.control, _simnet_start_args(plan), setup.run_dir / "simnet-import.log"
        )
        invariants_end = with_determinism(invariants_end, determinism)
    crew_profit = await crew_profit_dx(plan)
    metrics_file = write_metrics(
        setup.run_dir / "metrics.bin", merged=merged, deltas=[*fleet_deltas, *own_deltas]
    )
    return Execution(
        metrics_file=metrics_file,
        outcome=outcome,
        notes=tuple(notes),
        invalid_reasons=tuple(invalid),
        elapsed_s=max(0.0, ended_ts - start_ts),
        invariants_end=invariants_end,
        reachable=reachable,
        stopped_early=stop.is_set(),
        lost_beyond_policy=lost_beyond_policy,
        crew_profit_dx=crew_profit,
    )


def _fleet_processes(setup: RunSetup) -> list[FleetProcess]:
    """The fleet processes this run can see: its embedded coordinator and workers, or this
    process when the bots run in it (an external cluster's processes are not ours to read)."""
    if setup.in_process:
        return [FleetProcess("runner", os.getpid(), psutil.Process().create_time())]
    stack = setup.stack
    children = [stack.coordinator, *stack.workers] if stack.coordinator is not None else []
    return [FleetProcess(c.name, c.pid, c.create_time) for c in children]


async def _script(plan: RunPlan, start_ts: float, recorder: Recorder) -> None:
    """The size's `script:` steps through `adnet` (simnet's control plane only, for now)."""
    steps = plan.size.script
    if steps and plan.target.control is None:
        _log.warning("%s: script steps need simnet's adnet; skipped", plan.scenario.id)
        return
    control = plan.target.control
    if steps and control is not None:
        # simnet serves its control plane on every node: adnet falls back to the others in
        # turn, so a step that lifts an outage of the control node's chain still gets through
        target = plan.target
        others = [u for u in (*target.delta, *target.alpha) if u != control]
        await run_script(steps, ",".join([control, *others]), start_ts, recorder)


class _ProgressLoop:
    """Every second, the last five seconds of the live merge as a `Progress`."""

    def __init__(
        self,
        metrics: RunMetrics,
        total_s: float,
        start_ts: float,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        self._metrics = metrics
        self._total_s = total_s
        self._start_ts = start_ts
        self._on_progress = on_progress

    async def run(self) -> None:
        if self._on_progress is None:
            return
        while True:
            await asyncio.sleep(1.0)
            self._on_progress(
                progress_of(self._metrics, time.perf_counter() - self._start_ts, self._total_s)
            )


def progress_of(metrics: RunMetrics, elapsed_s: float, total_s: float) -> Progress:
    span = metrics.intervals
    last = range(max(span.start, span.stop - 5), span.stop) if span else None
    p99 = metrics.quantile_s("lat.submit", None, 0.99, last) if last else None
    errors = metrics.count("n.error") + metrics.count("n.reject", {"expected": "no"})
    return Progress(
        elapsed_s=elapsed_s,
        total_s=total_s,
        offered_per_s=metrics.rate_per_s("gen.offered", None, last) if last else 0.0,
        achieved_per_s=metrics.rate_per_s("n.intent", None, last) if last else 0.0,
        committed_per_s=metrics.rate_per_s("n.commit", None, last) if last else 0.0,
        p99_ms=None if p99 is None else p99 * 1000,
        errors=errors,
        dropped=metrics.count("dropped"),
        blocked=metrics.count("n.blocked"),
    )


# ---- report -------------------------------------------------------------------------------


def report(setup: RunSetup, execution: Execution) -> RunReport:
    """Judge the run from what its stages left and write its report files; no network."""
    metrics = read_metrics(execution.metrics_file)
    evidence, notes = gather_evidence(setup, execution, metrics)
    baselines = find_baselines(
        setup.home / "runs",
        baseline_exprs(setup.plan.scenario),
        size=setup.plan.size_name,
        target=setup.plan.target.describe(),
        before_s=setup.started_at_s,
        exclude=setup.run_id,
    )
    evidence.baselines = {key: b.median for key, b in baselines.items()}
    newest = next((b.run_ids[0] for b in baselines.values()), None)
    for key, b in baselines.items():
        notes.append(f"baseline of {key}: median {b.median:g} of {len(b.run_ids)} PASS runs")
    if setup.plan.source.capacity_tx_per_s is not None:
        notes.append(
            f"rates are fractions of C_tx = {setup.plan.source.capacity_tx_per_s:g} tx/s, "
            "capacity_ramp's latest result on this target and version"
        )
    invalid = list(execution.invalid_reasons)
    if execution.stopped_early:
        invalid.append("the run was stopped before its plan ended")
    built = build_report(
        setup,
        execution,
        evidence,
        [*execution.notes, *notes],
        invalid_reasons=invalid,
    )
    built = dataclasses.replace(
        built,
        measures=measures(setup.plan.scenario, evidence),
        baseline_run_id=newest,  # the newest run of the baseline
    )
    built.write(setup.home / "runs")
    (setup.run_dir / "summary.txt").write_text(
        "\n".join(summary_lines(built)) + "\n", encoding="utf-8"
    )
    return built


def teardown(setup: RunSetup) -> None:
    """Stop whatever the run started; safe to call again, from any process."""
    setup.stack.stop()


async def run_scenario(
    request: RunRequest,
    on_progress: Callable[[Progress], None] | None = None,
    stop: asyncio.Event | None = None,
) -> RunReport:
    """All four stages in this process."""
    prepared = await setup(request)
    try:
        handle = await distribute(prepared, request.coordinator)
        done = await execute(
            prepared, handle, request.coordinator, on_progress=on_progress, stop=stop
        )
    finally:
        await asyncio.to_thread(teardown, prepared)
    return report(prepared, done)
