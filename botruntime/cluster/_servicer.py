"""gRPC methods -> Coordinator calls, and the coordinator's state -> status messages.

Domain errors become refusals here (`_refusal`: a gRPC code plus the machine-readable
`testbots-reason` trailer): NotFound -> not_found, a bad request -> invalid_request, a run or
cluster that cannot do it now -> run_state or placement (with retry-after).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from botruntime.cluster._coordinator import Coordinator
from botruntime.cluster._errors import ClusterError, ProtocolMismatch, ProtocolViolation
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.cluster._refusal import refuse_error
from botruntime.cluster._run import AssignmentRecord, Run, RunSpec
from botruntime.cluster._session import serve_session
from botruntime.cluster._types import RunState
from botruntime.cluster._wire import (
    CLUSTER_PROTOCOL,
    capacity_from_pb,
    gap_to_pb,
    health_to_pb,
    outcome_to_pb,
    share_to_pb,
    target_from_pb,
)
from botruntime.plan import PlanSource, compile_plan
from botruntime.scenario import ScenarioError

__all__ = ["Servicer", "run_status"]

T = TypeVar("T")


async def _answer(context: Any, call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except ClusterError as exc:
        await refuse_error(context, exc)


def placement_pb(record: AssignmentRecord) -> pb.Placement:
    a = record.assignment
    return pb.Placement(
        assignment_id=a.assignment_id,
        worker_id=record.worker_id,
        bot_first=a.bot_first,
        bot_count=a.bot_count,
        share=share_to_pb(a.share),
        plan_from_s=a.plan_from_s,
        outcome=outcome_to_pb(record.outcome),
        counters=record.counters,
    )


def run_status(run: Run, now_unix_s: float) -> pb.RunStatus:
    return pb.RunStatus(
        run_id=run.run_id,
        state=str(run.state),
        degraded=run.degraded,
        forced_verdict=run.forced_verdict,
        reason=run.reason,
        start_at_unix_us=round(run.start_at_unix_s * 1_000_000),
        elapsed_s=max(0.0, run.plan_offset_s(now_unix_s)),
        placements=[placement_pb(r) for r in run.assignments.values()],
        gaps=[gap_to_pb(g) for g in run.gaps],
        counters=run.counters(),
        notes=list(run.notes),
        policy=run.spec.policy,
    )


class Servicer(pb_grpc.BotOrchestrationServicer):
    def __init__(self, coordinator: Coordinator, wall: Callable[[], float]) -> None:
        self._c = coordinator
        self._wall = wall

    async def RegisterWorker(self, request: pb.RegisterWorkerRequest, context: Any) -> Any:
        async def call() -> pb.RegisterWorkerReply:
            if request.protocol != CLUSTER_PROTOCOL:
                raise ProtocolMismatch(request.protocol, CLUSTER_PROTOCOL)
            record = self._c.register(request.name, request.capacity_bots)
            liveness = self._c.config.liveness
            return pb.RegisterWorkerReply(
                worker_id=record.worker_id,
                session_key=record.session_key,
                heartbeat_interval_s=liveness.heartbeat_interval_s,
                dead_man_s=liveness.dead_man_s,
            )

        return await _answer(context, call)

    async def Session(
        self, request_iterator: AsyncIterator[pb.WorkerMessage], context: Any
    ) -> None:
        await serve_session(self._c, request_iterator, context)

    async def DistributeScenario(self, request: pb.DistributeScenarioRequest, context: Any) -> Any:
        async def call() -> pb.DistributeScenarioReply:
            source = PlanSource(
                scenario_yaml=request.scenario_yaml,
                size=request.size or "default",
                seed=request.seed,
                target=target_from_pb(request.targets),
                run_id=request.run_id or self._c.new_run_id(),
                switches=tuple(request.switches),
                scenario_name=request.scenario_name or "scenario.yaml",
                capacity_tx_per_s=capacity_from_pb(request, "DistributeScenarioRequest"),
            )
            try:
                plan = compile_plan(source)  # the run is validated here, once
            except ScenarioError as exc:
                raise ProtocolViolation(f"the run cannot be planned: {exc}") from None
            spec = RunSpec.from_plan(plan, finish_grace_s=request.finish_grace_s or 30.0)
            run = self._c.distribute(
                spec, min_workers=request.min_workers, start_delay_s=request.start_delay_s
            )
            return pb.DistributeScenarioReply(
                run_id=run.run_id,
                start_at_unix_us=round(run.start_at_unix_s * 1_000_000),
                placements=[placement_pb(r) for r in run.assignments.values()],
            )

        return await _answer(context, call)

    async def GetRunStatus(self, request: pb.GetRunStatusRequest, context: Any) -> Any:
        async def call() -> pb.RunStatus:
            return run_status(self._c.run(request.run_id), self._wall())

        return await _answer(context, call)

    async def StopRun(self, request: pb.StopRunRequest, context: Any) -> Any:
        async def call() -> pb.RunStatus:
            run = await self._c.stop_run(request.run_id, request.reason)
            return run_status(run, self._wall())

        return await _answer(context, call)

    async def GetClusterStatus(self, request: pb.GetClusterStatusRequest, context: Any) -> Any:
        workers = []
        for w in self._c.registry:
            status = pb.WorkerStatus(
                worker_id=w.worker_id,
                name=w.name,
                liveness=str(w.liveness),
                capacity_bots=w.capacity_bots,
                last_heartbeat_age_s=self._c.registry.age_s(w),
                assignment_ids=sorted(w.assignment_ids),
            )
            if w.health is not None:
                status.last_heartbeat.CopyFrom(health_to_pb(w.health))
            workers.append(status)
        runs = [run_status(r, self._wall()) for r in self._c.runs()]
        return pb.ClusterStatus(workers=workers, runs=runs)

    async def GetBotStatus(self, request: pb.GetBotStatusRequest, context: Any) -> Any:
        async def call() -> pb.BotStatus:
            holder = self._c.bot_holder(request.run_id, request.bot_index)
            return self._bot(request.run_id, request.bot_index, holder)

        return await _answer(context, call)

    async def SpawnBot(self, request: pb.SpawnBotRequest, context: Any) -> Any:
        async def call() -> pb.BotStatus:
            holder = self._c.spawn_bot(request.run_id, request.bot_index)
            return self._bot(request.run_id, request.bot_index, holder)

        return await _answer(context, call)

    async def StopBot(self, request: pb.StopBotRequest, context: Any) -> Any:
        async def call() -> pb.BotStatus:
            holder = self._c.stop_bot(request.run_id, request.bot_index)
            status = self._bot(request.run_id, request.bot_index, holder)
            status.state = "stopping"
            return status

        return await _answer(context, call)

    async def WatchRun(self, request: pb.WatchRunRequest, context: Any) -> None:
        async def call() -> None:
            async for run in self._c.watch(request.run_id, request.interval_s or 1.0):
                await context.write(run_status(run, self._wall()))

        await _answer(context, call)

    async def GetRunMetrics(self, request: pb.GetRunMetricsRequest, context: Any) -> None:
        async def call() -> None:
            metrics = self._c.run(request.run_id).metrics
            version = metrics.version
            # each interval is read as it is written: one changed meanwhile is sent newer than
            # `version`, which is harmless (a merge replaces) and sent again next time
            for interval in metrics.changed_since(request.since_version):
                payload = metrics.merged_bytes(interval)
                await context.write(
                    pb.MergedInterval(version=version, interval=interval, payload=payload)
                )

        await _answer(context, call)

    def _bot(self, run_id: str, bot_index: int, holder: AssignmentRecord | None) -> pb.BotStatus:
        if holder is None:
            return pb.BotStatus(run_id=run_id, bot_index=bot_index, state="unplaced")
        run_state = self._c.run(run_id).state
        if holder.open:
            state = "running" if run_state is RunState.RUNNING else str(run_state)
        else:
            state = str(holder.outcome)
        return pb.BotStatus(
            run_id=run_id,
            bot_index=bot_index,
            worker_id=holder.worker_id,
            assignment_id=holder.assignment.assignment_id,
            state=state,
        )
