"""One scenario run, staged as Dagster's ops are: setup → distribute → execute → report.

`run_scenario` does all four for `testbots run`; Dagster calls the stages one op each. A run
never leaves anything behind: `close` stops what `setup` started, whatever happened between.
Errors are drawn in `_errors.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from botruntime.cluster import DistributeRequest
from botruntime.identity import derive_batch
from botruntime.local import SimnetProcess
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder, RunMetrics
from botruntime.plan import PlanSource, RunPlan, Target, compile_plan, parse_target
from botruntime.runs._baseline import find_baseline, measures
from botruntime.runs._errors import RunConfigError, RunError, TargetRefused
from botruntime.runs._evidence import gather_evidence, read_invariants
from botruntime.runs._executors import InProcess, LocalCluster
from botruntime.runs._funding import fund_from_funder, fund_on_simnet, funder_from_env
from botruntime.runs._report_build import build_report
from botruntime.runs._request import Progress, RunRequest, new_run_id, testbots_home
from botruntime.runs._script import run_script
from botruntime.runs._source import InvariantReading
from botruntime.runs._text import summary_lines
from botruntime.runs.report import RunReport
from botruntime.scenario import Scenario, ScenarioNotFound, Size, scenario_path

__all__ = [
    "Progress",
    "RunConfigError",
    "RunError",
    "RunRequest",
    "ScenarioRun",
    "TargetRefused",
    "run_scenario",
    "testbots_home",
]

_log = logging.getLogger("botruntime.runs")


@dataclass(slots=True)
class _State:
    simnet: SimnetProcess | None = None
    executor: InProcess | LocalCluster | None = None
    metrics: RunMetrics = field(default_factory=RunMetrics)  # what this process recorded
    own_deltas: list[IntervalDelta] = field(default_factory=list)
    heights: dict[str, tuple[int, int]] = field(default_factory=dict)  # chain: (start, end)
    heights_span_s: float = 0.0  # seconds between the two height readings
    started_at_s: float = 0.0
    start_ts: float = 0.0
    ended_ts: float = 0.0
    invariants_start: list[InvariantReading] | None = None
    setup_complete: bool = False


@dataclass(slots=True)
class TargetStatus:
    """What the target said about itself at setup (each chain's /status)."""

    alpha_chain_id: str | None = None
    delta_chain_id: str | None = None
    block_time_s: float | None = None


class ScenarioRun:
    def __init__(self, request: RunRequest, plan: RunPlan) -> None:
        self.request = request
        self.plan = plan
        self.status = TargetStatus()
        self.home = testbots_home(request.home)
        self.run_dir = self.home / "runs" / plan.run_id
        self._state = _State()

    # what the report and the evidence read: all of it from the compiled plan
    @property
    def run_id(self) -> str:
        return self.plan.run_id

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def size(self) -> Size:
        return self.plan.size

    @property
    def seed(self) -> str:
        return self.plan.seed

    @property
    def target(self) -> Target:
        return self.plan.target

    # ---- setup ----------------------------------------------------------------------------------

    @classmethod
    async def setup(cls, request: RunRequest) -> ScenarioRun:
        """Compile the plan (validating the scenario once), start or reach the target, check it
        is one we may load, fund the bots."""
        run = cls(request, _compile(request))
        try:
            await run._start_target()
            await run._guard()
            await run._fund()
            run._state.setup_complete = True
        except BaseException:
            await run.close()
            raise
        return run

    async def _start_target(self) -> None:
        if not self.target.is_simnet:
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        profile = self.scenario.simnet
        simnet = SimnetProcess(
            seed=self.seed,
            nodes=profile.nodes or 4,
            block_time_s=self.plan.block_time_s,
            switches=self.plan.switches,
            log_path=self.run_dir / "simnet.log",
        )
        self._state.simnet = simnet
        endpoints = await asyncio.to_thread(simnet.start)
        self.plan = self.plan.on(
            self.target.with_simnet(endpoints.alpha, endpoints.delta, endpoints.control)
        )

    async def _guard(self) -> None:
        """Read each chain's `/status` and refuse a chain id the scenario does not name."""
        async with httpx.AsyncClient(timeout=10.0) as http:
            for chain, urls in (("alpha", self.target.alpha), ("delta", self.target.delta)):
                if not urls:
                    continue
                status = (await http.get(f"{urls[0]}/status")).json()
                chain_id = str(status.get("chain_id"))
                if isinstance(status.get("block_time_ms"), int) and status["block_time_ms"] > 0:
                    self.status.block_time_s = status["block_time_ms"] / 1000
                if chain == "alpha":
                    self.status.alpha_chain_id = chain_id
                else:
                    self.status.delta_chain_id = chain_id
        allowed = [c for c in (self.status.alpha_chain_id, self.status.delta_chain_id) if c]
        if not any(self.scenario.target.allows(c) for c in allowed):
            raise TargetRefused(
                f"{self.scenario.id} may run against {list(self.scenario.target.chains)}, the "
                f"target serves {allowed}: add the chain id to the scenario's target.chains"
            )
        if self.scenario.target.allow_adversarial and not self.target.is_simnet:
            raise TargetRefused(
                f"{self.scenario.id} is adversarial and the target is not simnet: a real network "
                "must be flagged allow_adversarial first (not supported yet)"
            )

    async def _fund(self) -> None:
        """Fund every bot of the run with its spend cap, outside the timed window."""
        bots = list(derive_batch(self.seed, 0, self.plan.bots))
        if self.target.is_simnet:
            assert self.target.control is not None
            await fund_on_simnet(self.target.control, self.seed, bots, self.plan.funding)
        else:
            funder = funder_from_env()
            await fund_from_funder(
                funder,
                self.target.alpha[0] if self.target.alpha else None,
                self.target.delta[0] if self.target.delta else None,
                bots,
                self.plan.funding,
                self.plan.spend_total,
            )
        async with httpx.AsyncClient(timeout=30.0) as http:
            self._state.invariants_start = await read_invariants(http, self.target.control)

    # ---- distribute -----------------------------------------------------------------------------

    async def distribute(self) -> None:
        """Hand the bots and the plan to the executor: a local cluster, or a fleet in-process."""
        if self.request.workers < 0:
            raise RunConfigError(f"--workers is 0 or more, got {self.request.workers}")
        if self.request.workers == 0 and self.request.coordinator is not None:
            raise RunConfigError(
                "--workers 0 runs the bots in this process, which --coordinator cannot: "
                "drop one of them"
            )
        executor: InProcess | LocalCluster
        if self.request.workers == 0:
            executor = InProcess(self.plan.part())
        else:
            executor = LocalCluster(
                DistributeRequest(self.plan.source, min_workers=self.request.workers),
                self.request.workers,
                self.run_dir,
                external=self.request.coordinator,
            )
        self._state.executor = executor
        self.run_dir.mkdir(parents=True, exist_ok=True)
        await executor.distribute()

    # ---- execute --------------------------------------------------------------------------------

    @property
    def total_s(self) -> float:
        return self.plan.duration_s

    async def execute(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        state = self._state
        if state.executor is None:
            await self.distribute()
        executor = state.executor
        assert executor is not None
        stop = stop or asyncio.Event()
        own = Recorder(source="runner")  # what this process does itself: operator script steps

        async def sink(delta: IntervalDelta) -> None:
            state.metrics.ingest(delta)
            if delta.source == "runner":
                state.own_deltas.append(delta)

        state.started_at_s = time.time()
        if isinstance(executor, LocalCluster):
            state.start_ts = time.perf_counter() + (executor.start_at_unix_s - time.time())
        else:
            state.start_ts = time.perf_counter() + 0.1
        state.heights = {
            chain: (height, height) for chain, height in (await self._heights()).items()
        }
        heights_read_at = time.monotonic()
        pump = IntervalPump(own, sink, start_ts=state.start_ts)
        async with asyncio.TaskGroup() as tg:
            pumping = tg.create_task(pump.run(), name="runner-pump")
            scripting = tg.create_task(self._script(own), name="operator-script")
            progress = tg.create_task(self._progress_loop(on_progress), name="progress")
            try:
                await executor.execute(state.start_ts, sink, stop)
            finally:
                state.ended_ts = time.perf_counter()
                scripting.cancel()  # a step timed after the plan's end never runs
                progress.cancel()
                pump.stop()
                await pumping
        for chain, height in (await self._heights()).items():
            state.heights[chain] = (state.heights.get(chain, (height, height))[0], height)
        state.heights_span_s = time.monotonic() - heights_read_at

    async def _heights(self) -> dict[str, int]:
        """Each chain's height now, from its first node's /status (how far the chain got)."""
        out: dict[str, int] = {}
        async with httpx.AsyncClient(timeout=10.0) as http:
            for chain, urls in (("alpha", self.target.alpha), ("delta", self.target.delta)):
                if urls:
                    try:
                        out[chain] = int((await http.get(f"{urls[0]}/status")).json()["height"])
                    except (httpx.HTTPError, ValueError, KeyError, TypeError):
                        continue
        return out

    async def _progress_loop(self, on_progress: Callable[[Progress], None] | None) -> None:
        if on_progress is None:
            return
        while True:
            await asyncio.sleep(1.0)
            on_progress(self.progress(time.perf_counter() - self._state.start_ts))

    @property
    def metrics(self) -> RunMetrics:
        """Everything measured so far, merged over every worker."""
        state = self._state
        if state.executor is None:
            return state.metrics
        return state.executor.merged(state.metrics, state.own_deltas)

    async def _script(self, recorder: Recorder) -> None:
        """The size's `script:` steps through `adnet` (simnet's control plane only, for now)."""
        steps = self.plan.size.script
        if steps and self.target.control is None:
            _log.warning("%s: script steps need simnet's adnet; skipped", self.scenario.id)
            return
        if steps and self.target.control is not None:
            await run_script(steps, self.target.control, self._state.start_ts, recorder)

    def progress(self, elapsed_s: float) -> Progress:
        metrics = self.metrics
        span = metrics.intervals
        last = range(max(span.start, span.stop - 5), span.stop) if span else None
        p99 = metrics.quantile_s("lat.submit", None, 0.99, last) if last else None
        errors = metrics.count("n.error") + metrics.count("n.reject", {"expected": "no"})
        return Progress(
            elapsed_s=elapsed_s,
            total_s=self.total_s,
            offered_per_s=metrics.rate_per_s("gen.offered", None, last) if last else 0.0,
            achieved_per_s=metrics.rate_per_s("n.intent", None, last) if last else 0.0,
            committed_per_s=metrics.rate_per_s("n.commit", None, last) if last else 0.0,
            p99_ms=None if p99 is None else p99 * 1000,
            errors=errors,
            dropped=metrics.count("dropped"),
        )

    # ---- report ---------------------------------------------------------------------------------

    async def report(self) -> RunReport:
        """Reconcile, read the invariants, judge, and write the report files."""
        state = self._state
        executor = state.executor
        assert executor is not None, "report() comes after execute()"
        outcome, notes = await executor.outcome()
        invalid = executor.invalid_reason if isinstance(executor, LocalCluster) else None
        evidence, more_notes = await gather_evidence(
            self, outcome, self.metrics, state.invariants_start, state.setup_complete
        )
        baseline = find_baseline(
            self.home / "runs",
            size=self.plan.size_name,
            target=self.target.describe(),
            exclude=self.run_id,
        )
        if baseline is not None:
            evidence.baselines = baseline.measures
            more_notes.append(f"baseline: run {baseline.run_id}")
        report = build_report(
            self,
            evidence,
            [*notes, *more_notes],
            state.started_at_s,
            invalid_reasons=[invalid] if invalid else [],
        )
        report = dataclasses.replace(
            report,
            measures=measures(self.scenario, evidence),
            baseline_run_id=baseline.run_id if baseline else None,
        )
        report.write(self.home / "runs")
        (self.run_dir / "summary.txt").write_text(
            "\n".join(summary_lines(report)) + "\n", encoding="utf-8"
        )
        return report

    @property
    def chain_heights(self) -> dict[str, tuple[int, int]]:
        """(height at the start, at the end) per chain, read from each chain's /status."""
        return dict(self._state.heights)

    @property
    def heights_span_s(self) -> float:
        return self._state.heights_span_s

    @property
    def elapsed_s(self) -> float:
        return max(0.0, self._state.ended_ts - self._state.start_ts)

    @property
    def invariants_end_source(self) -> str | None:
        return self.target.control

    async def close(self) -> None:
        state = self._state
        if state.executor is not None:
            await state.executor.close()
            state.executor = None
        if state.simnet is not None:
            await asyncio.to_thread(state.simnet.stop)
            state.simnet = None


async def run_scenario(
    request: RunRequest,
    on_progress: Callable[[Progress], None] | None = None,
    stop: asyncio.Event | None = None,
) -> RunReport:
    run = await ScenarioRun.setup(request)
    try:
        await run.distribute()
        await run.execute(on_progress, stop)
        return await run.report()
    finally:
        await run.close()


def _compile(request: RunRequest) -> RunPlan:
    """The run's plan, compiled from the scenario file as it is now (not yet on simnet's URLs)."""
    path = scenario_path(request.scenario, request.scenarios_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioNotFound(
            f"{path}: cannot be read ({exc})",
            file=str(path),
            fix="give a readable scenario YAML file, or a scenario id",
        ) from None
    run_id = request.run_id or new_run_id(path.stem)
    source = PlanSource(
        scenario_yaml=text,
        size=request.size,
        seed=request.seed or "",
        target=parse_target(request.target),
        run_id=run_id,
        switches=tuple(request.switches),
        scenario_name=path.name,
    )
    return compile_plan(source, base_dir=str(path.parent))
