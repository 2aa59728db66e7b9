"""The coordinator's logic: workers, runs, and the commands that keep them in step.

No gRPC here: `_servicer.py` turns calls and Session messages into these methods, and this
module answers with domain commands put on each worker's `WorkerLink`. `monitor()` is the one
loop that judges liveness, applies the loss policy and moves runs along their state machine;
the server runs it in its TaskGroup.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from botruntime.cluster._errors import NotFound, PlacementError, ProtocolViolation
from botruntime.cluster._fence import Fence, FencedMessage, MessageKind
from botruntime.cluster._loss import decide
from botruntime.cluster._placement import WorkerRoom, place, place_segments
from botruntime.cluster._registry import LivenessConfig, WorkerRecord, WorkerRegistry
from botruntime.cluster._run import AssignmentRecord, Run, RunSpec
from botruntime.cluster._types import (
    AbortCommand,
    AckCommand,
    AssignCommand,
    Assignment,
    AssignmentOutcome,
    Command,
    DrainCommand,
    HealthSample,
    Liveness,
    ShareLevel,
    StopCommand,
)

__all__ = ["Coordinator", "CoordinatorConfig", "WorkerLink"]

log = logging.getLogger("testbots.coordinator")


@dataclass(frozen=True, slots=True)
class CoordinatorConfig:
    liveness: LivenessConfig = field(default_factory=LivenessConfig)
    start_delay_s: float = 2.0  # when a request gives none: time for workers to get ready
    stop_grace_s: float = 2.0  # the kill switch's promise: every bot stopped within this
    resume_delay_s: float = 0.5  # rebalanced bots start this long after the loss is decided
    tick_s: float = 0.1


class WorkerLink:
    """The coordinator's end of one worker's Session: commands wait here to be written."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.outbox: asyncio.Queue[Command | None] = asyncio.Queue()
        self.drained = False  # a Drain was written: the worker is leaving on our word

    def send(self, command: Command) -> None:
        self.outbox.put_nowait(command)

    def close(self) -> None:
        self.outbox.put_nowait(None)


class Coordinator:
    def __init__(
        self,
        config: CoordinatorConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.config = config or CoordinatorConfig()
        self.registry = WorkerRegistry(self.config.liveness, clock)
        self._wall = wall
        self._links: dict[str, WorkerLink] = {}
        self._runs: dict[str, Run] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._clock = clock
        self._fences: dict[str, Fence] = {}  # lost workers whose bots wait to move
        self.fenced_messages: list[FencedMessage] = []  # ignored: from dead epochs (last 1000)

    # -- workers -----------------------------------------------------------------------

    def register(self, name: str, capacity_bots: int) -> WorkerRecord:
        record = self.registry.register(name, capacity_bots)
        log.info("worker %s (%s) registered, capacity %d", record.worker_id, name, capacity_bots)
        self._pulse()
        return record

    def attach(self, worker_id: str, session_key: bytes) -> WorkerLink:
        self.registry.open_session(worker_id, session_key)
        old = self._links.get(worker_id)
        if old is not None:
            old.close()
        link = self._links[worker_id] = WorkerLink(worker_id)
        self._pulse()
        return link

    def detach(self, link: WorkerLink) -> None:
        """The Session ended; liveness is still judged by heartbeats (it may reconnect)."""
        if self._links.get(link.worker_id) is link:
            del self._links[link.worker_id]
            record = self.registry.get(link.worker_id)
            record.connected = False

    def on_heartbeat(self, link: WorkerLink, health: HealthSample) -> None:
        if self._fenced_out(link, MessageKind.HEARTBEAT):
            return  # no Ack: a lost worker's lease is never renewed
        change = self.registry.heartbeat(link.worker_id, health)
        if change is not None:
            log.info("worker %s is alive again", link.worker_id)
        link.send(AckCommand(health.seq))

    def on_delta(
        self, link: WorkerLink, run_id: str, assignment_id: str, seq: int, payload: bytes
    ) -> None:
        if self._fenced_out(link, MessageKind.DELTA, assignment_id):
            return  # its load after the loss is the gap's; never merged
        self._run_of(run_id, "MetricDelta").ingest(link.worker_id, assignment_id, seq, payload)
        self._pulse()

    def on_done(
        self,
        link: WorkerLink,
        run_id: str,
        assignment_id: str,
        outcome: AssignmentOutcome,
        counters: dict[str, int],
        detail: str,
    ) -> None:
        run = self._run_of(run_id, "AssignmentDone")
        if self._fenced_out(link, MessageKind.RESULT, assignment_id):
            fence = self._fences.get(link.worker_id)
            if fence is not None:  # the result is the worker's word that those bots stopped
                fence.acknowledge(assignment_id)
                self._close_fences()
            return
        run.finish(link.worker_id, assignment_id, outcome, counters, detail)
        self.registry.get(link.worker_id).assignment_ids.discard(assignment_id)
        if outcome is AssignmentOutcome.FAILED and not run.state.terminal:
            self._stop(run, f"assignment {assignment_id} failed: {detail}", abort=True)
        self._settle(run)

    def on_closed(self, link: WorkerLink) -> None:
        """The worker ended its Session on purpose (drained or shutting down): it is gone, and
        whatever it still held is handled like a loss."""
        if self.registry.get(link.worker_id).liveness is Liveness.LOST:
            fence = self._fences.get(link.worker_id)
            if fence is not None:  # it left after its results: nothing of it runs any more
                fence.acknowledged = True
                self._close_fences()
            return
        self._on_lost(link.worker_id, stopped=True)
        self.registry.mark_gone(link.worker_id)
        self._pulse()

    # -- runs ----------------------------------------------------------------------------

    def distribute(self, spec: RunSpec, *, min_workers: int = 1, start_delay_s: float = 0) -> Run:
        if spec.run_id in self._runs:
            raise ProtocolViolation(f"run {spec.run_id} exists already: pick a new run_id")
        if spec.bots <= 0 or spec.plan_duration_s <= 0:
            raise ProtocolViolation(
                f"bots={spec.bots} and plan_duration_s={spec.plan_duration_s} must both be > 0"
            )
        alive = self.registry.alive()
        if len(alive) < max(min_workers, 1):
            raise PlacementError(
                min_workers,
                len(alive),
                f"{len(alive)} live workers, the run asks for "
                f"{min_workers}: start more (testbots worker) or lower min_workers",
            )
        slots = place_segments(spec.placement(), self._rooms())
        delay = start_delay_s if start_delay_s > 0 else self.config.start_delay_s
        run = Run(spec, start_at_unix_s=self._wall() + delay)
        weights = tuple(slot.bot_count for slot in slots)
        for i, slot in enumerate(slots):
            assignment = Assignment(
                run_id=spec.run_id,
                assignment_id=self._new_assignment_id(spec.run_id),
                source=spec.source,
                plan_fingerprint=spec.plan_fingerprint,
                bot_first=slot.bot_first,
                bot_count=slot.bot_count,
                share=(ShareLevel(i, weights),),
                plan_from_s=0.0,
                resync_nonces=False,
                start_at_unix_s=run.start_at_unix_s,
            )
            self._assign(run, AssignmentRecord(assignment, slot.worker_id))
        self._runs[spec.run_id] = run
        log.info("run %s: %d bots on %d workers", spec.run_id, spec.bots, len(slots))
        self._pulse()
        return run

    def new_run_id(self) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._wall()))
        return f"run-{stamp}-{secrets.token_hex(2)}"

    def run(self, run_id: str) -> Run:
        try:
            return self._runs[run_id]
        except KeyError:
            raise NotFound(f"run {run_id!r}") from None

    def runs(self) -> list[Run]:
        return list(self._runs.values())

    async def stop_run(self, run_id: str, reason: str) -> Run:
        """The kill switch: every bot of the run stopped, or given up on, within stop_grace_s."""
        run = self.run(run_id)
        if not run.state.terminal:
            self._stop(run, reason or "stopped by request", abort=False)
            try:
                async with asyncio.timeout(self.config.stop_grace_s + 1.0):
                    while not run.state.terminal:
                        await self.wait_for_change(self.config.tick_s)
            except TimeoutError:
                self._settle(run)
        return run

    async def watch(self, run_id: str, interval_s: float) -> AsyncIterator[Run]:
        """The run now, then on every change (at most every `interval_s`), until it ends."""
        run = self.run(run_id)
        loop = asyncio.get_running_loop()
        while True:
            terminal = run.state.terminal  # decided before the yield: the last update is sent
            yield run
            if terminal:
                return
            seen = run.version
            due = loop.time() + interval_s
            while run.version == seen and loop.time() < due:
                await self.wait_for_change(due - loop.time())

    def bot_holder(self, run_id: str, bot_index: int) -> AssignmentRecord | None:
        """The assignment that holds the bot now (the latest, after a rebalance)."""
        found = None
        for record in self.run(run_id).assignments.values():
            if bot_index in record.assignment.bot_indices:
                found = record if found is None or record.open else found
        return found

    def spawn_bot(self, run_id: str, bot_index: int) -> AssignmentRecord:
        """One more bot, with no share of the arrival plan (a probe, like Locust's single user)."""
        run = self.run(run_id)
        if run.state.terminal:
            raise ProtocolViolation(f"run {run_id} is {run.state}: spawn bots in a live run")
        holder = self.bot_holder(run_id, bot_index)
        if holder is not None and holder.open:
            raise ProtocolViolation(
                f"bot {bot_index} already runs in {holder.assignment.assignment_id}"
            )
        slot = place(1, bot_index, self._rooms())[0]
        first = next(iter(run.assignments.values())).assignment
        assignment = Assignment(
            run_id=run_id,
            assignment_id=self._new_assignment_id(run_id),
            source=first.source,
            plan_fingerprint=first.plan_fingerprint,
            bot_first=bot_index,
            bot_count=1,
            share=(),
            plan_from_s=0.0,
            resync_nonces=True,
            start_at_unix_s=run.start_at_unix_s,
        )
        record = AssignmentRecord(assignment, slot.worker_id)
        self._assign(run, record)
        return record

    def stop_bot(self, run_id: str, bot_index: int) -> AssignmentRecord:
        holder = self.bot_holder(run_id, bot_index)
        if holder is None or not holder.open:
            raise NotFound(f"running bot {bot_index} of run {run_id}")
        if holder.assignment.bot_count != 1:
            raise ProtocolViolation(
                f"bot {bot_index} runs with {holder.assignment.bot_count - 1} others in "
                f"{holder.assignment.assignment_id}: stop the run (StopRun) or a spawned bot"
            )
        self._send(
            holder.worker_id, StopCommand(run_id, holder.assignment.assignment_id, "StopBot")
        )
        return holder

    # -- the loop --------------------------------------------------------------------------

    async def monitor(self) -> None:
        """Judge liveness and settle runs every tick, until cancelled."""
        while True:
            self.tick()
            await asyncio.sleep(self.config.tick_s)

    def tick(self) -> None:
        for change in self.registry.sweep():
            log.warning("worker %s: %s -> %s", change.worker_id, change.before, change.after)
            if change.after is Liveness.LOST:
                self._on_lost(change.worker_id)
            self._pulse()
        self._close_fences()
        for run in self._runs.values():
            self._settle(run)

    def shutdown(self, reason: str) -> None:
        """Stop every run and tell every worker to drain: a coordinator leaves no load behind."""
        for run in self._runs.values():
            if not run.state.terminal:
                self._stop(run, reason, abort=True)
        for link in list(self._links.values()):
            link.send(DrainCommand(reason))

    async def wait_for_change(self, timeout_s: float) -> None:
        event = self._changed
        try:
            async with asyncio.timeout(timeout_s):
                await event.wait()
        except TimeoutError:
            return

    # -- internals ---------------------------------------------------------------------------

    def _on_lost(self, worker_id: str, *, stopped: bool = False) -> None:
        """The worker's epoch is over: tell it to stop everything, and open its fence.

        Its open assignments are lost at once (their gaps date from their last delta) and the
        policy decides; under `rebalance` the bots move only when the fence closes
        (`_close_fences`). `stopped`: the worker ended its Session itself after stopping."""
        record = self.registry.get(worker_id)
        record.liveness = Liveness.LOST  # its messages count for nothing from here on
        link = self._links.get(worker_id)
        if link is not None:
            # every run: the worker fences itself; the Session stays open for its results
            link.send(AbortCommand("", f"worker {worker_id} was judged lost: epoch over"))
        fence = Fence(worker_id, record.epoch, self.registry.fence_closes_at(record))
        fence.acknowledged = stopped
        for run in self._runs.values():
            lost = run.open_assignments(worker_id)
            if run.state.terminal or not lost:
                continue
            for r in lost:
                run.mark_lost(r)
                fence.waiting.add(r.assignment.assignment_id)
            if run.spec.policy != "rebalance":  # nothing moves: decide now
                for r in lost:
                    r.settled_loss = True
                self._decide_loss(run, lost)
        if not fence.waiting:
            fence.acknowledged = True
        self._fences[worker_id] = fence
        record.assignment_ids.clear()
        log.warning(
            "worker %s (epoch %d) lost: its bots move once it is fenced (at the latest in %.1f s)",
            worker_id,
            record.epoch,
            max(fence.closes_at - self._clock(), 0.0),
        )
        self._close_fences()

    def _close_fences(self) -> None:
        """Apply the loss policy for every lost worker whose fence has closed."""
        now = self._clock()
        for worker_id, fence in list(self._fences.items()):
            if not fence.closed(now):
                continue
            del self._fences[worker_id]
            link = self._links.pop(worker_id, None)
            if link is not None:
                link.close()
            how = "it acknowledged the stop" if fence.acknowledged else "its lease has lapsed"
            log.warning("worker %s (epoch %d) fenced: %s", worker_id, fence.epoch, how)
            for run in self._runs.values():
                lost = [
                    r
                    for r in run.assignments.values()
                    if r.worker_id == worker_id
                    and r.outcome is AssignmentOutcome.LOST
                    and not r.settled_loss
                ]
                if not lost:
                    continue
                for r in lost:
                    r.settled_loss = True
                if run.state.terminal:
                    continue
                self._decide_loss(run, lost)

    def _decide_loss(self, run: Run, lost: list[AssignmentRecord]) -> None:
        decision = decide(
            run,
            lost,
            resume_s=run.plan_offset_s(self._wall() + self.config.resume_delay_s),
            rooms=self._rooms(),
            new_id=functools.partial(self._new_assignment_id, run.run_id),
        )
        run.gaps.extend(decision.gaps)
        run.notes.append(decision.reason)
        log.warning("run %s: %s", run.run_id, decision.reason)
        if decision.action == "abort":
            self._stop(run, decision.reason, abort=True)
        elif decision.action == "continue":
            run.degraded = True
        for new in decision.new_assignments:
            self._assign(run, new)
        self._settle(run)

    def _fenced_out(self, link: WorkerLink, kind: MessageKind, assignment_id: str = "") -> bool:
        """A message of a dead epoch: recorded as ignored (True), never acted on."""
        if not self.registry.dead(link.worker_id):
            return False
        epoch = self.registry.get(link.worker_id).epoch
        self.fenced_messages.append(FencedMessage(link.worker_id, epoch, kind, assignment_id))
        del self.fenced_messages[:-1000]
        log.info("ignored a %s of %s: epoch %d is over", kind, link.worker_id, epoch)
        return True

    def _assign(self, run: Run, record: AssignmentRecord) -> None:
        record.epoch = self.registry.get(record.worker_id).epoch
        run.add(record)
        self.registry.get(record.worker_id).assignment_ids.add(record.assignment.assignment_id)
        self._send(record.worker_id, AssignCommand(record.assignment))

    def _stop(self, run: Run, reason: str, *, abort: bool) -> None:
        log.info("run %s: stopping (%s)", run.run_id, reason)
        run.begin_stop(self._wall(), reason, abort=abort)
        for worker_id in {r.worker_id for r in run.open_assignments()}:
            self._send(worker_id, StopCommand(run.run_id, "", reason))
        self._pulse()

    def _settle(self, run: Run) -> None:
        if run.settle(self._wall(), self.config.stop_grace_s):
            log.info("run %s is %s (%s)", run.run_id, run.state, run.reason)
        self._pulse()

    def _send(self, worker_id: str, command: Command) -> None:
        link = self._links.get(worker_id)
        if link is None:
            log.warning("no session to %s for %s; liveness will decide", worker_id, command)
            return
        link.send(command)

    def _rooms(self) -> list[WorkerRoom]:
        held: dict[str, int] = {}
        for run in self._runs.values():
            for r in run.open_assignments():
                held[r.worker_id] = held.get(r.worker_id, 0) + r.assignment.bot_count
        return [
            WorkerRoom(w.worker_id, w.capacity_bots - held.get(w.worker_id, 0))
            for w in self.registry.alive()
        ]

    def _run_of(self, run_id: str, what: str) -> Run:
        run = self._runs.get(run_id)
        if run is None:
            raise ProtocolViolation(f"{what} for run {run_id!r}, which this coordinator never ran")
        return run

    def _new_assignment_id(self, run_id: str) -> str:
        return f"{run_id}/a{next(self._ids)}"

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
