"""The worker process: dial the coordinator, hold the Session, run what it assigns.

A worker registers with its capacity, then keeps one Session: it writes a heartbeat every
interval and the metric deltas and results of its assignments, and follows the commands it
reads. It reconnects when the stream breaks; assignments keep running meanwhile, but only
while its lease holds (`_fence.Lease`: `dead_man_s`, 10 s, from the send of the last heartbeat
the coordinator acknowledged). A lapsed lease sends nothing for any bot at once, and the
dead-man switch then stops every bot: load never runs unattended, and never under two owners.
An Abort of every run is the coordinator's word that this epoch is over: the lease ends, the
bots stop, and their results go out as the acknowledgement. Drain (or `stop`, on SIGTERM)
stops every bot, reports, and ends the Session.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import grpc

from botruntime.cluster._assignments import AssignmentSet, Finished
from botruntime.cluster._auth import TlsFiles, call_metadata
from botruntime.cluster._errors import ClusterConfigError, ProtocolViolation
from botruntime.cluster._fence import Lease
from botruntime.cluster._health import HealthProbe, WorkerHealthServer
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.cluster._prom import MetricsServer, WorkerFigures, WorkerMetricsPage
from botruntime.cluster._refusal import refused
from botruntime.cluster._types import (
    AbortCommand,
    AckCommand,
    AssignCommand,
    Assignment,
    Command,
    DrainCommand,
    FleetRunner,
    HealthSample,
    Liveness,
    StopCommand,
)
from botruntime.cluster._wire import (
    CLUSTER_PROTOCOL,
    CommandDecoder,
    health_to_pb,
    outcome_to_pb,
)
from botruntime.metrics import DeltaPacker, IntervalDelta

__all__ = ["Worker", "WorkerOptions"]

log = logging.getLogger("testbots.worker")


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    coordinator: str  # HOST:PORT
    token: str
    capacity_bots: int = 10_000
    name: str = ""
    tls: TlsFiles | None = None
    health_listen: str | None = None  # serve grpc.health.v1 here for Kubernetes probes
    metrics_listen: str | None = None  # serve Prometheus /metrics here
    dead_man_s: float = 10.0  # until the coordinator's registration reply says otherwise
    stop_grace_s: float = 2.0
    reconnect_s: float = 0.5


class _Outbox:
    """Messages for the coordinator; they wait here while the link is down (never dropped)."""

    def __init__(self) -> None:
        self._items: deque[pb.WorkerMessage] = deque()
        self._ready = asyncio.Event()
        self._flushed = asyncio.Event()  # nothing waiting and nothing being written
        self._flushed.set()

    def put(self, message: pb.WorkerMessage, *, first: bool = False) -> None:
        if first:
            self._items.appendleft(message)
        else:
            self._items.append(message)
        self._ready.set()
        self._flushed.clear()

    async def get(self) -> pb.WorkerMessage:
        """The next message; call `written()` once it is on the wire (or `put` it back)."""
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def written(self) -> None:
        if not self._items:
            self._flushed.set()

    async def wait_flushed(self) -> None:
        await self._flushed.wait()

    def clear(self) -> None:
        self._items.clear()
        self._flushed.set()


class Worker:
    def __init__(self, options: WorkerOptions, runner: FleetRunner) -> None:
        if options.capacity_bots < 1:
            raise ClusterConfigError("--capacity must be at least 1 bot")
        self.options = options
        self._runner = runner
        self._metadata = call_metadata(options.token)
        self._outbox = _Outbox()
        self._registration: pb.RegisterWorkerReply | None = None
        self._dead_man_s = options.dead_man_s
        self._lease = Lease(options.dead_man_s)
        self._delta_seq: dict[str, int] = {}
        self._beat_seq = 0
        self._probe = HealthProbe()
        self._health_server = WorkerHealthServer(options.health_listen)
        self._last_health: HealthSample | None = None
        self._metrics_page = WorkerMetricsPage(self._figures)
        self._packer = DeltaPacker()  # deltas as the coordinator reads them
        self._metrics_server = MetricsServer(
            options.metrics_listen, self._metrics_page.render, "--metrics-listen"
        )
        self.dead_man_trips = 0
        self._assignments: AssignmentSet | None = None

    @property
    def worker_id(self) -> str:
        return self._registration.worker_id if self._registration else ""

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the coordinator until Drain or `stop`; no task started here outlives this."""
        await self._health_server.start()
        try:
            await self._metrics_server.start()
            async with asyncio.TaskGroup() as tg:
                self._assignments = AssignmentSet(
                    tg,
                    self._runner,
                    self._emit_delta,
                    self._finished,
                    may_act=self._lease.valid,
                    stop_grace_s=self.options.stop_grace_s,
                )
                helpers = [
                    tg.create_task(self._probe.run(), name="health-probe"),
                    tg.create_task(self._dead_man_switch(), name="dead-man-switch"),
                ]
                try:
                    await self._follow(stop)
                finally:
                    for task in helpers:
                        task.cancel()
                    self._assignments.stop()
                    await self._assignments.wait_idle(self.options.stop_grace_s + 1.0)
        except* ClusterConfigError as group:
            raise group.exceptions[0] from None  # a setting to fix, not a crash to dump
        finally:
            await self._metrics_server.stop()
            self._metrics_page.close()
            await self._health_server.stop()

    # -- the link ------------------------------------------------------------------------

    async def _follow(self, stop: asyncio.Event) -> None:
        async with self._channel() as channel:
            stub = pb_grpc.BotOrchestrationStub(channel)  # type: ignore[no-untyped-call]
            while not stop.is_set():
                fatal: ClusterConfigError | None = None
                try:
                    if await self._session(stub, stop):
                        return
                except* grpc.aio.AioRpcError as group:
                    fatal = self._on_rpc_error(group.exceptions[0])
                except* ProtocolViolation as group:
                    log.error("the coordinator broke the protocol: %s", group.exceptions[0])
                await self._health_server.set_connected(False)
                if fatal is not None:
                    raise fatal
                try:
                    async with asyncio.timeout(self.options.reconnect_s):
                        await stop.wait()
                except TimeoutError:
                    continue

    def _on_rpc_error(self, exc: BaseException) -> ClusterConfigError | None:
        code = getattr(exc, "code", lambda: None)()
        is_rpc = isinstance(exc, grpc.aio.AioRpcError)
        refusal = refused(exc, self.options.coordinator, str(exc)) if is_rpc else None
        reason = refusal.reason if refusal is not None else None
        if reason == "unauthenticated":
            return ClusterConfigError(
                "the coordinator refused our token: give workers the coordinator's --token"
            )
        if reason == "protocol":  # another testbots version: retrying cannot help
            return ClusterConfigError(getattr(exc, "details", lambda: str(exc))())
        if reason == "not_registered":
            # our registration is gone (judged lost): what we run was given to others
            detail = getattr(exc, "details", lambda: str(exc))()
            log.warning("coordinator: %s; stopping our bots, registering again", detail)
            self._forget_registration()
            return None
        log.warning("coordinator unreachable (%s): retrying", getattr(code, "name", code))
        return None

    def _channel(self) -> Any:
        options = [
            ("grpc.keepalive_time_ms", 10_000),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ]
        if self.options.tls is not None:
            return grpc.aio.secure_channel(
                self.options.coordinator, self.options.tls.channel_credentials(), options=options
            )
        return grpc.aio.insecure_channel(self.options.coordinator, options=options)

    async def _session(self, stub: Any, stop: asyncio.Event) -> bool:
        """One registration (if needed) and one Session; True when the worker should leave."""
        if self._registration is None:
            asked_at = self._lease.now()
            reply = await stub.RegisterWorker(
                pb.RegisterWorkerRequest(
                    name=self.options.name or socket.gethostname(),
                    capacity_bots=self.options.capacity_bots,
                    version=_version(),
                    protocol=CLUSTER_PROTOCOL,
                ),
                metadata=self._metadata,
                timeout=5.0,
            )
            self._registration = reply
            self._dead_man_s = reply.dead_man_s or self.options.dead_man_s
            log.info("registered as %s", reply.worker_id)
            self._lease.begin(asked_at, self._dead_man_s)  # a new epoch
        registration = self._registration
        call = stub.Session(metadata=self._metadata)
        await call.write(
            pb.WorkerMessage(
                hello=pb.SessionHello(
                    worker_id=registration.worker_id, session_key=registration.session_key
                )
            )
        )
        await self._health_server.set_connected(True)
        decoder = CommandDecoder()
        async with asyncio.TaskGroup() as tg:
            writer = tg.create_task(self._write(call), name="session-out")
            beats = tg.create_task(
                self._heartbeats(registration.heartbeat_interval_s or 1.0), name="heartbeats"
            )
            stopper = tg.create_task(stop.wait(), name="stop-wait")
            reader = tg.create_task(self._read(call, decoder), name="session-in")
            await asyncio.wait({reader, stopper, writer}, return_when=asyncio.FIRST_COMPLETED)
            beats.cancel()
            if reader.done() and reader.exception() is None:
                drained = reader.result()
            else:
                drained = stopper.done()
            if drained:
                await self._leave(call, writer)
            reader.cancel()
            writer.cancel()
            stopper.cancel()
        return drained

    async def _read(self, call: Any, decoder: CommandDecoder) -> bool:
        """Follow commands; True when told to drain, False when the coordinator hung up."""
        async for message in call:
            command = decoder.feed(message)
            if command is not None and self._obey(command):
                return True
        return False

    async def _write(self, call: Any) -> None:
        while True:
            message = await self._outbox.get()
            try:
                await call.write(message)
            except BaseException:
                self._outbox.put(message, first=True)  # sent on the next Session instead
                raise
            self._outbox.written()

    async def _leave(self, call: Any, writer: asyncio.Task[None]) -> None:
        """Stop every bot, let their results go out, and close our half of the Session."""
        assert self._assignments is not None
        self._assignments.stop()
        await self._assignments.wait_idle(self.options.stop_grace_s + 1.0)
        try:
            async with asyncio.timeout(2.0):
                await self._outbox.wait_flushed()
            writer.cancel()
            await call.done_writing()
        except (TimeoutError, grpc.aio.AioRpcError):
            log.warning("could not say goodbye to the coordinator")

    def _obey(self, command: Command) -> bool:
        assert self._assignments is not None
        match command:
            case AckCommand(seq=seq):
                self._lease.ack(seq)
            case AssignCommand(assignment=assignment):
                self._assignments.start(assignment)
            case StopCommand(run_id=run_id, assignment_id=assignment_id, reason=reason):
                n = self._assignments.stop(run_id, assignment_id)
                log.info("stop %s %s (%s): %d assignments", run_id, assignment_id, reason, n)
            case AbortCommand(run_id="", reason=reason):
                self._lease.revoke(reason)  # this epoch is over: nothing more goes out
                n = self._assignments.stop()
                log.warning("fenced (%s): stopped %d assignments", reason, n)
            case AbortCommand(run_id=run_id, reason=reason):
                n = self._assignments.stop(run_id)
                log.warning("abort %s (%s): %d assignments", run_id or "all", reason, n)
            case DrainCommand(reason=reason):
                log.info("drain: %s", reason)
                return True
        return False

    # -- what goes out -------------------------------------------------------------------

    async def _heartbeats(self, interval_s: float) -> None:
        assert self._assignments is not None
        due = time.monotonic()
        while True:
            gauges = self._assignments.gauges()
            probe = self._probe.sample()
            self._beat_seq += 1
            self._lease.beat(self._beat_seq)
            health = HealthSample(
                seq=self._beat_seq,
                sent_at_unix_s=time.time(),
                schedule_lag_ms=gauges.schedule_lag_ms,
                loop_lag_ms=probe.loop_lag_ms,
                cpu_percent=probe.cpu_percent,
                rss_bytes=probe.rss_bytes,
                in_flight=gauges.in_flight,
                bots_running=gauges.bots_running,
            )
            self._last_health = health
            self._outbox.put(pb.WorkerMessage(heartbeat=health_to_pb(health)), first=True)
            due += interval_s
            await asyncio.sleep(max(due - time.monotonic(), 0.001))

    def _emit_delta(self, assignment: Assignment, delta: IntervalDelta) -> None:
        seq = self._delta_seq.get(assignment.assignment_id, 0)
        self._delta_seq[assignment.assignment_id] = seq + 1
        packed = self._packer.packed(delta)  # straight from the counters the recorder took
        message = pb.MetricDelta(
            run_id=assignment.run_id,
            assignment_id=assignment.assignment_id,
            seq=seq,
            payload=packed.to_bytes(),
        )
        self._outbox.put(pb.WorkerMessage(delta=message))
        self._metrics_page.ingest(assignment.run_id, packed)

    def _figures(self) -> WorkerFigures:
        """This worker as its own /metrics shows it: alive while its lease holds."""
        state = Liveness.ALIVE if self._lease.valid() else Liveness.LOST
        name = self.worker_id or self.options.name or "unregistered"
        return WorkerFigures(name, state, self._last_health)

    def _finished(self, finished: Finished) -> None:
        a, result = finished.assignment, finished.result
        done = pb.AssignmentDone(
            run_id=a.run_id,
            assignment_id=a.assignment_id,
            outcome=outcome_to_pb(result.outcome),
            detail=result.detail,
            counters={k: int(v) for k, v in result.counters.items()},
            deltas_sent=self._delta_seq.get(a.assignment_id, 0),
        )
        self._outbox.put(pb.WorkerMessage(done=done))

    # -- the dead-man switch -------------------------------------------------------------

    async def _dead_man_switch(self) -> None:
        """The lease lapsed (no acknowledged heartbeat for dead_man_s): stop every bot,
        register afresh. Nothing was sent since it lapsed: the fleet asks the lease first."""
        assert self._assignments is not None
        while True:
            await asyncio.sleep(0.2)
            lease = self._lease
            if lease.valid() or lease.revoked or not len(self._assignments):
                continue
            self.dead_man_trips += 1
            lease.revoke("dead-man switch")
            n = self._assignments.stop()
            log.error(
                "dead-man switch: no acknowledged heartbeat for %.1f s; stopped %d assignments",
                self._dead_man_s,
                n,
            )
            await self._assignments.wait_idle(self.options.stop_grace_s + 1.0)
            self._forget_registration()

    def _forget_registration(self) -> None:
        assert self._assignments is not None
        self._lease.revoke("registration forgotten")
        self._assignments.stop()
        self._registration = None
        self._outbox.clear()  # results of runs the coordinator has written off
        self._delta_seq.clear()


def _version() -> str:
    try:
        return metadata.version("testbots")
    except metadata.PackageNotFoundError:
        return "0+unknown"
