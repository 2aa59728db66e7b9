"""One run on the coordinator: its state machine, its assignments and its merged metrics.

    pending ──> running ──> completed
       │           │
       └──────> stopping ──> stopped | aborted
       └───────────┴──────────────────> aborted

Pure bookkeeping: no I/O and no clock of its own (callers pass the time), so every transition
is tested directly. Metric deltas are merged exactly, one merge per interval, by
botruntime.metrics' MergedIntervals (memory per interval and series, not per delta); each
assignment records with `source = assignment_id`, so a delta cannot be counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from botruntime.cluster._errors import NotFound, ProtocolViolation, RunStateError
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    LoadGap,
    RunState,
    WorkerLossPolicy,
)
from botruntime.metrics import DeltaDecodeError, DeltaUnpacker, MergedIntervals, MetricKindError
from botruntime.plan import PlanSource, RunPlan, Segment

__all__ = ["AssignmentRecord", "Run", "RunSpec"]

INCONCLUSIVE = "INCONCLUSIVE"

_ALLOWED: dict[RunState, frozenset[RunState]] = {
    RunState.PENDING: frozenset({RunState.RUNNING, RunState.STOPPING, RunState.ABORTED}),
    RunState.RUNNING: frozenset({RunState.STOPPING, RunState.COMPLETED, RunState.ABORTED}),
    RunState.STOPPING: frozenset({RunState.STOPPED, RunState.ABORTED}),
}


@dataclass(frozen=True, slots=True)
class RunSpec:
    """What DistributeScenario asked for, with what the coordinator's compile of it decided."""

    run_id: str
    source: PlanSource
    bots: int
    policy: WorkerLossPolicy
    plan_duration_s: float
    finish_grace_s: float = 30.0
    plan_fingerprint: str = ""
    # how placement may cut the bots (crews whole); empty: anywhere, as one segment
    segments: tuple[Segment, ...] = ()

    @classmethod
    def from_plan(cls, plan: RunPlan, finish_grace_s: float = 30.0) -> RunSpec:
        return cls(
            run_id=plan.run_id,
            source=plan.source,
            bots=plan.bots,
            policy=plan.on_worker_loss,
            plan_duration_s=plan.duration_s,
            finish_grace_s=finish_grace_s,
            plan_fingerprint=plan.fingerprint,
            segments=plan.segments(),
        )

    def placement(self) -> tuple[Segment, ...]:
        return self.segments or (Segment(range(self.bots)),)

    def unit_at(self, bot: int) -> int:
        """The cut unit of the segment holding `bot` (a crew's size in a crew block)."""
        return next((s.unit for s in self.segments if bot in s.bots), 1)


@dataclass(slots=True)
class AssignmentRecord:
    assignment: Assignment
    worker_id: str
    epoch: int = 0  # the owner's registration epoch (`WorkerRecord.epoch`)
    outcome: AssignmentOutcome | None = None
    detail: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    next_seq: int = 0
    reported_until_s: float = 0.0  # plan offset up to which its deltas have arrived
    settled_loss: bool = False  # lost, and the loss policy has decided for it

    @property
    def open(self) -> bool:
        return self.outcome is None


class Run:
    def __init__(self, spec: RunSpec, start_at_unix_s: float) -> None:
        self.spec = spec
        self.start_at_unix_s = start_at_unix_s
        self.state = RunState.PENDING
        self.forced_verdict = ""
        self.reason = ""
        self.degraded = False
        self.gaps: list[LoadGap] = []
        self.notes: list[str] = []
        self.assignments: dict[str, AssignmentRecord] = {}
        self.metrics = MergedIntervals()  # GetRunMetrics sends what changed since a version
        self._unpacker = DeltaUnpacker()  # a worker's MetricDelta payload, checked whole
        self.stop_target = RunState.STOPPED  # what `stopping` resolves into
        self.stopping_since_unix_s: float | None = None
        self.version = 0  # bumps on every change: WatchRun sends only news

    @property
    def run_id(self) -> str:
        return self.spec.run_id

    # -- state machine ---------------------------------------------------------------------

    def transition(self, to: RunState, reason: str = "") -> None:
        if to not in _ALLOWED.get(self.state, frozenset()):
            raise RunStateError(self.run_id, self.state, to)
        self.state = to
        if reason:
            self.reason = reason
        if to.terminal:
            self.metrics.seal_all()  # an ended run keeps no interval open in memory
        self.version += 1

    def begin_stop(self, now_unix_s: float, reason: str, *, abort: bool) -> None:
        """Move to `stopping` (resolving into stopped, or aborted when the experiment broke)."""
        if abort:
            self.stop_target = RunState.ABORTED
            self.forced_verdict = INCONCLUSIVE
        if self.state is RunState.STOPPING:
            if abort:
                self.reason = reason
                self.version += 1
            return
        self.transition(RunState.STOPPING, reason)
        self.stopping_since_unix_s = now_unix_s

    def settle(self, now_unix_s: float, stop_grace_s: float) -> bool:
        """Advance what time and results decide; True if the state changed."""
        before = self.state
        if self.state is RunState.PENDING and now_unix_s >= self.start_at_unix_s:
            self.transition(RunState.RUNNING)
        if self.state is RunState.RUNNING:
            if not self.open_assignments() and not self.awaiting_fence():
                self.transition(
                    RunState.COMPLETED, self.reason or "every plan share ran to its end"
                )
            elif (
                now_unix_s
                > self.start_at_unix_s + self.spec.plan_duration_s + self.spec.finish_grace_s
            ):
                self.begin_stop(
                    now_unix_s,
                    f"workers did not finish within finish_grace_s={self.spec.finish_grace_s} "
                    "after the plan ended",
                    abort=True,
                )
        if self.state is RunState.STOPPING:
            overdue = (
                self.stopping_since_unix_s is not None
                and now_unix_s >= self.stopping_since_unix_s + stop_grace_s
            )
            if overdue:
                for record in self.open_assignments():
                    self._close(
                        record, AssignmentOutcome.STOPPED, "no result within the stop grace"
                    )
            if not self.open_assignments():
                self.transition(self.stop_target)
        return self.state is not before

    # -- assignments -----------------------------------------------------------------------

    def add(self, record: AssignmentRecord) -> None:
        self.assignments[record.assignment.assignment_id] = record
        self.version += 1

    def record(self, assignment_id: str) -> AssignmentRecord:
        try:
            return self.assignments[assignment_id]
        except KeyError:
            raise NotFound(f"assignment {assignment_id!r} of run {self.run_id}") from None

    def open_assignments(self, worker_id: str | None = None) -> list[AssignmentRecord]:
        return [
            r
            for r in self.assignments.values()
            if r.open and (worker_id is None or r.worker_id == worker_id)
        ]

    def awaiting_fence(self) -> bool:
        """Lost bots wait for their old owner's fence before the policy moves them."""
        return any(
            r.outcome is AssignmentOutcome.LOST and not r.settled_loss
            for r in self.assignments.values()
        )

    def ingest(self, worker_id: str, assignment_id: str, seq: int, payload: bytes) -> None:
        """Merge one delta; late ones (after the stop grace closed the assignment) count too.
        A re-sent delta is ignored; a missing one is noted in the run, never guessed."""
        record = self._own(worker_id, assignment_id, "MetricDelta", open_only=False)
        if seq < record.next_seq:
            return  # re-sent after a reconnect: merged already
        try:
            delta = self._unpacker.unpack(payload)
        except DeltaDecodeError as exc:
            raise ProtocolViolation(f"MetricDelta payload of {assignment_id}: {exc}") from None
        if delta.source != assignment_id:
            raise ProtocolViolation(
                f"MetricDelta of {assignment_id} was recorded as source {delta.source!r}; "
                "record each assignment with source=assignment_id"
            )
        if seq > record.next_seq:  # lost with a dying connection: say so, keep merging
            self.notes.append(
                f"metrics of {assignment_id}: deltas {record.next_seq}..{seq - 1} never arrived"
            )
        record.next_seq = seq + 1
        interval_end_s = (delta.interval + 1) * self.metrics.interval_s
        record.reported_until_s = max(record.reported_until_s, interval_end_s)
        if self.metrics.ingest_packed(delta):
            self.version += 1

    def finish(
        self,
        worker_id: str,
        assignment_id: str,
        outcome: AssignmentOutcome,
        counters: dict[str, int],
        detail: str,
    ) -> None:
        record = self._own(worker_id, assignment_id, "AssignmentDone", open_only=False)
        record.counters = dict(counters)
        if record.open or record.outcome is AssignmentOutcome.STOPPED:
            self._close(record, outcome, detail)  # the worker's word beats the grace timeout

    def mark_lost(self, record: AssignmentRecord) -> None:
        self._close(record, AssignmentOutcome.LOST, f"worker {record.worker_id} was lost")

    def _close(self, record: AssignmentRecord, outcome: AssignmentOutcome, detail: str) -> None:
        record.outcome = outcome
        record.detail = detail
        self.version += 1

    def _own(
        self, worker_id: str, assignment_id: str, what: str, *, open_only: bool
    ) -> AssignmentRecord:
        record = self.assignments.get(assignment_id)
        if record is None or record.worker_id != worker_id:
            raise ProtocolViolation(f"{what} for {assignment_id!r}, not an assignment of yours")
        if open_only and not record.open:
            raise ProtocolViolation(f"{what} for {assignment_id}, which already ended")
        return record

    # -- figures ---------------------------------------------------------------------------

    def plan_offset_s(self, now_unix_s: float) -> float:
        return now_unix_s - self.start_at_unix_s

    def counters(self) -> dict[str, int]:
        """Merged count per metric name (a histogram's count is how many values it holds)."""
        out: dict[str, int] = {}
        for name in sorted({key.name for key in self.metrics.keys()}):
            try:
                out[name] = self.metrics.count(name)
            except MetricKindError:
                continue  # a gauge has no count
        return out
