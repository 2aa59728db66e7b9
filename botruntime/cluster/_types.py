"""The cluster's shared vocabulary: what a worker is asked to run and what it says back.

These are the domain types the rest of the runtime sees; protobuf messages never leave
`botruntime.cluster` (`_wire.py` converts at the edge).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from botruntime.metrics import IntervalDelta
from botruntime.plan import PlanSource, ShareLevel, WorkerLossPolicy

__all__ = [
    "AbortCommand",
    "AckCommand",
    "AssignCommand",
    "Assignment",
    "AssignmentOutcome",
    "AssignmentResult",
    "Command",
    "DeltaSink",
    "DrainCommand",
    "FleetRunner",
    "HealthSample",
    "Liveness",
    "LoadGap",
    "MayAct",
    "RunState",
    "RunnerGauges",
    "ShareLevel",
    "StopCommand",
    "WorkerLossPolicy",
]


class Liveness(StrEnum):
    ALIVE = "alive"
    SUSPECT = "suspect"  # missed 3 heartbeats
    LOST = "lost"  # silent for 5 s: its bots are gone, its assignments handled by the policy
    GONE = "gone"  # drained or disconnected on purpose


class RunState(StrEnum):
    PENDING = "pending"  # placed, waiting for the common start time
    RUNNING = "running"
    STOPPING = "stopping"  # told every worker to stop; waiting for their results
    COMPLETED = "completed"  # every assignment ran its plan share to the end
    STOPPED = "stopped"  # a user (or the kill switch) stopped it
    ABORTED = "aborted"  # the experiment broke: worker lost under `fail`, deadline, placement

    @property
    def terminal(self) -> bool:
        return self in (RunState.COMPLETED, RunState.STOPPED, RunState.ABORTED)


class AssignmentOutcome(StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    LOST = "lost"  # the worker holding it was lost (recorded by the coordinator only)


@dataclass(frozen=True, slots=True)
class Assignment:
    """A worker's part of one run: a contiguous bot range and a share of the run's plan.

    `share` lists nested splits, outermost first (a rebalance splits a lost worker's share
    again); an empty share runs no arrivals. Only arrivals intended at or after `plan_from_s`
    run. `start_at_unix_s` is the plan's offset 0 on every worker.
    """

    run_id: str
    assignment_id: str
    source: PlanSource  # the run, as its plan is compiled from
    plan_fingerprint: str  # what the coordinator's compile gave: the worker's must match
    bot_first: int
    bot_count: int
    share: tuple[ShareLevel, ...]
    plan_from_s: float
    resync_nonces: bool
    start_at_unix_s: float

    @property
    def bot_indices(self) -> range:
        return range(self.bot_first, self.bot_first + self.bot_count)


@dataclass(frozen=True, slots=True)
class AssignmentResult:
    outcome: AssignmentOutcome
    counters: Mapping[str, int] = field(default_factory=dict)  # the runner's own totals
    detail: str = ""


@dataclass(slots=True)
class RunnerGauges:
    """What a runner reports for the worker's heartbeat; it overwrites these as it goes."""

    schedule_lag_ms: float = 0.0
    in_flight: int = 0
    bots_running: int = 0


@dataclass(frozen=True, slots=True)
class HealthSample:
    """One heartbeat's worth of worker health (DESIGN §5: the generator must keep up)."""

    seq: int
    sent_at_unix_s: float
    schedule_lag_ms: float
    loop_lag_ms: float
    cpu_percent: float
    rss_bytes: int
    in_flight: int
    bots_running: int


@dataclass(frozen=True, slots=True)
class LoadGap:
    """Load that a lost worker's share did not offer: plan offsets [from_s, to_s)."""

    worker_id: str
    bot_first: int
    bot_count: int
    share: tuple[ShareLevel, ...]
    from_s: float
    to_s: float
    policy: WorkerLossPolicy


MayAct = Callable[[], bool]
"""The worker's lease (`_fence.Lease.valid`): False once its epoch may be over; a runner asks
it right before each tx it signs or sends, and sends nothing while it says False."""

DeltaSink = Callable[[IntervalDelta], None]
"""Where a runner hands each interval's metric delta; record it with source=assignment_id."""


@dataclass(frozen=True, slots=True)
class AssignCommand:
    assignment: Assignment


@dataclass(frozen=True, slots=True)
class StopCommand:
    run_id: str
    assignment_id: str  # "" = every assignment of the run
    reason: str


@dataclass(frozen=True, slots=True)
class DrainCommand:
    reason: str


@dataclass(frozen=True, slots=True)
class AbortCommand:
    run_id: str  # "" = every run
    reason: str


@dataclass(frozen=True, slots=True)
class AckCommand:
    seq: int


Command = AssignCommand | StopCommand | DrainCommand | AbortCommand | AckCommand


class FleetRunner(Protocol):
    """Runs one assignment's bots; the worker owns the task this runs in.

    - Load: `plan.part(assignment.bot_indices, assignment.share, assignment.plan_from_s)` of
      the run's compiled plan (an empty share runs none: `.idle()`), offset 0 at
      `assignment.start_at_unix_s`; re-derive the bots, reading nonces from the chain first
      when `resync_nonces`.
    - Metrics: a Recorder with `source=assignment.assignment_id`, flushed by an IntervalPump
      whose `start_ts` is the plan's offset 0, so interval i is plan seconds [i, i+1) on every
      worker (the coordinator dates a lost share's gap from its last interval). Emit every
      delta through `emit_delta`, the last partial one included, before returning.
    - Stop: return soon after `stop` is set; a runner still going 2 s later is cancelled.
    - Fencing: ask `may_act()` right before every tx is signed or sent and send nothing while
      it is False (the worker's lease lapsed: another worker may own these bots by now).
    - Result: the runner's own totals in `AssignmentResult.counters` (counted apart from the
      recorder), so the merge can be checked against them.
    """

    async def run(
        self,
        assignment: Assignment,
        emit_delta: DeltaSink,
        stop: asyncio.Event,
        gauges: RunnerGauges,
        may_act: MayAct,
    ) -> AssignmentResult: ...
