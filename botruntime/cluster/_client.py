"""The control client: what the CLI, `testbots run` and Dagster ops use to drive a coordinator.

It speaks gRPC and answers in domain types (`RunView`, `ClusterView`), so no caller sees a
protobuf message. Errors arrive as `CoordinatorUnavailable` with the gRPC code name; a call the
coordinator refused as its subclass `CoordinatorRefused` with `.reason` and `.retry_after_s`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeVar

import grpc

from botruntime.cluster._auth import TlsFiles, call_metadata
from botruntime.cluster._errors import CoordinatorUnavailable
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.cluster._refusal import refused
from botruntime.cluster._types import (
    AssignmentOutcome,
    HealthSample,
    LoadGap,
)
from botruntime.cluster._wire import health_from_pb, outcome_from_pb, share_from_pb
from botruntime.metrics import IntervalDelta, RunMetrics
from botruntime.plan import PlanSource

__all__ = [
    "ClusterView",
    "ControlClient",
    "DistributeRequest",
    "MetricsFollower",
    "PlacementView",
    "RunView",
    "WorkerView",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DistributeRequest:
    """A run for the coordinator: its plan source, and how to start it on the cluster."""

    source: PlanSource
    min_workers: int = 1
    start_delay_s: float = 0.0  # 0: the coordinator's default
    finish_grace_s: float = 0.0  # 0: the coordinator's default


@dataclass(frozen=True, slots=True)
class PlacementView:
    assignment_id: str
    worker_id: str
    bot_first: int
    bot_count: int
    plan_from_s: float
    outcome: AssignmentOutcome | None
    counters: dict[str, int] = field(default_factory=dict)  # the worker's own, at its end


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: str
    state: str
    degraded: bool
    forced_verdict: str
    reason: str
    policy: str
    start_at_unix_s: float
    elapsed_s: float
    placements: tuple[PlacementView, ...]
    gaps: tuple[LoadGap, ...]
    counters: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.state in ("completed", "stopped", "aborted")


@dataclass(frozen=True, slots=True)
class WorkerView:
    worker_id: str
    name: str
    liveness: str
    capacity_bots: int
    last_heartbeat_age_s: float
    health: HealthSample | None
    assignment_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClusterView:
    workers: tuple[WorkerView, ...]
    runs: tuple[RunView, ...]

    def alive(self) -> list[WorkerView]:
        return [w for w in self.workers if w.liveness == "alive"]


def _run_view(m: pb.RunStatus) -> RunView:
    return RunView(
        run_id=m.run_id,
        state=m.state,
        degraded=m.degraded,
        forced_verdict=m.forced_verdict,
        reason=m.reason,
        policy=m.policy,
        start_at_unix_s=m.start_at_unix_us / 1_000_000,
        elapsed_s=m.elapsed_s,
        placements=tuple(
            PlacementView(
                p.assignment_id,
                p.worker_id,
                p.bot_first,
                p.bot_count,
                p.plan_from_s,
                outcome_from_pb(p.outcome) if p.outcome else None,
                dict(p.counters),
            )
            for p in m.placements
        ),
        gaps=tuple(
            LoadGap(
                g.worker_id,
                g.bot_first,
                g.bot_count,
                share_from_pb(g.share),
                g.from_s,
                g.to_s,
                g.policy,  # type: ignore[arg-type]  # the coordinator writes only the three names
            )
            for g in m.gaps
        ),
        counters=dict(m.counters),
        notes=tuple(m.notes),
    )


class ControlClient:
    def __init__(
        self, address: str, token: str, *, tls: TlsFiles | None = None, timeout_s: float = 5.0
    ) -> None:
        self.address = address
        self._metadata = call_metadata(token)
        self._timeout_s = timeout_s
        if tls is not None:
            self._channel = grpc.aio.secure_channel(address, tls.channel_credentials())
        else:
            self._channel = grpc.aio.insecure_channel(address)
        self._stub = pb_grpc.BotOrchestrationStub(self._channel)  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> ControlClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._channel.close()

    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc, self.address) from None

    def _opts(self, timeout_s: float | None = None) -> dict[str, Any]:
        return {"metadata": self._metadata, "timeout": timeout_s or self._timeout_s}

    async def cluster(self) -> ClusterView:
        m = await self._call(
            self._stub.GetClusterStatus(pb.GetClusterStatusRequest(), **self._opts())
        )
        workers = tuple(
            WorkerView(
                w.worker_id,
                w.name,
                w.liveness,
                w.capacity_bots,
                w.last_heartbeat_age_s,
                health_from_pb(w.last_heartbeat) if w.HasField("last_heartbeat") else None,
                tuple(w.assignment_ids),
            )
            for w in m.workers
        )
        return ClusterView(workers, tuple(_run_view(r) for r in m.runs))

    async def wait_for_workers(self, n: int, timeout_s: float) -> ClusterView:
        """Poll until `n` workers are alive; CoordinatorUnavailable if they are not in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            view = await self.cluster()
            if len(view.alive()) >= n:
                return view
            if loop.time() > deadline:
                raise CoordinatorUnavailable(
                    f"{len(view.alive())} of {n} workers alive after {timeout_s} s",
                    code="DEADLINE_EXCEEDED",
                )
            await asyncio.sleep(0.1)

    async def distribute(self, request: DistributeRequest) -> RunView:
        source = request.source
        m = pb.DistributeScenarioRequest(
            run_id=source.run_id,
            scenario_yaml=source.scenario_yaml,
            size=source.size,
            seed=source.seed,
            targets=list(source.target.wire()),
            switches=list(source.switches),
            scenario_name=source.scenario_name,
            capacity_tx_per_s=source.capacity_tx_per_s,
            min_workers=request.min_workers,
            start_delay_s=request.start_delay_s,
            finish_grace_s=request.finish_grace_s,
        )
        reply = await self._call(self._stub.DistributeScenario(m, **self._opts()))
        return await self.run_status(reply.run_id)

    async def run_status(self, run_id: str) -> RunView:
        request = pb.GetRunStatusRequest(run_id=run_id)
        return _run_view(await self._call(self._stub.GetRunStatus(request, **self._opts())))

    async def stop_run(self, run_id: str, reason: str = "") -> RunView:
        request = pb.StopRunRequest(run_id=run_id, reason=reason)
        return _run_view(await self._call(self._stub.StopRun(request, **self._opts(10.0))))

    async def watch(self, run_id: str, interval_s: float = 1.0) -> AsyncIterator[RunView]:
        call = self._stub.WatchRun(
            pb.WatchRunRequest(run_id=run_id, interval_s=interval_s), metadata=self._metadata
        )
        try:
            async for m in call:
                yield _run_view(m)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc, self.address) from None
        finally:
            call.cancel()

    async def run_metrics(self, run_id: str) -> RunMetrics:
        """The run's metrics, merged exactly over every worker: the whole run in one answer,
        so its cost grows with the run. To follow a live run, keep one `follow_metrics`."""
        return await self.follow_metrics(run_id).update()

    def follow_metrics(self, run_id: str) -> MetricsFollower:
        """A run's metrics kept up to date by asking only for what changed (`update()`)."""
        return MetricsFollower(self, run_id)

    async def merged_intervals(self, run_id: str) -> list[IntervalDelta]:
        """Every interval of the run as the coordinator merged it over its workers: what a
        finished run keeps (the whole run in one answer)."""
        return [merged async for _, merged in self._merged_intervals(run_id, 0)]

    async def _merged_intervals(
        self, run_id: str, since_version: int
    ) -> AsyncIterator[tuple[int, IntervalDelta]]:
        """(version, merged interval) for each interval changed after `since_version`."""
        request = pb.GetRunMetricsRequest(run_id=run_id, since_version=since_version)
        call = self._stub.GetRunMetrics(request, **self._opts(60.0))
        try:
            async for m in call:
                yield m.version, IntervalDelta.from_bytes(m.payload)
        except grpc.aio.AioRpcError as exc:
            raise _unavailable(exc, self.address) from None
        finally:
            call.cancel()

    async def bot(self, run_id: str, bot_index: int, action: str = "status") -> tuple[str, str]:
        """(worker_id, state) of one bot; action is "status", "spawn" or "stop"."""
        if action == "spawn":
            call = self._stub.SpawnBot(
                pb.SpawnBotRequest(run_id=run_id, bot_index=bot_index), **self._opts()
            )
        elif action == "stop":
            call = self._stub.StopBot(
                pb.StopBotRequest(run_id=run_id, bot_index=bot_index), **self._opts()
            )
        else:
            call = self._stub.GetBotStatus(
                pb.GetBotStatusRequest(run_id=run_id, bot_index=bot_index), **self._opts()
            )
        m = await self._call(call)
        return m.worker_id, m.state


class MetricsFollower:
    """A run's merged metrics, kept in one `RunMetrics` that `update()` brings up to date.

    Each update asks the coordinator for the intervals changed since the version of the last
    answer and puts each in place of what it had (`RunMetrics.put_interval`): polling every
    second costs the same at minute 1 and at minute 30. Deltas a caller ingests into
    `metrics` itself (another source) stay. An update that fails changes `version` not, so the
    next one asks again for what it may have missed.
    """

    def __init__(self, client: ControlClient, run_id: str) -> None:
        self.run_id = run_id
        self.metrics = RunMetrics()
        self.version = 0  # of the last complete answer; 0: nothing yet
        self.received = 0  # intervals the last update brought
        self._client = client

    async def update(self) -> RunMetrics:
        latest, received = self.version, 0
        async for version, merged in self._client._merged_intervals(self.run_id, self.version):
            self.metrics.put_interval(merged)
            latest, received = version, received + 1
        self.version, self.received = latest, received
        return self.metrics


def _unavailable(exc: Any, address: str) -> CoordinatorUnavailable:
    code = exc.code()
    message = exc.details()
    if code == grpc.StatusCode.UNAUTHENTICATED:
        message = "refused the token: use the coordinator's --token / TESTBOTS_TOKEN"
    refusal = refused(exc, address, message)
    if refusal is not None:
        return refusal
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return CoordinatorUnavailable(f"{address} {message}", code=code.name)
    if code == grpc.StatusCode.UNAVAILABLE:
        return CoordinatorUnavailable(
            f"no coordinator answers at {address}: start one (testbots coordinator) or fix "
            "--coordinator",
            code=code.name,
        )
    return CoordinatorUnavailable(f"{address}: {exc.details()}", code=code.name)
