"""Which workers exist and whether they are alive, judged by their heartbeats alone.

A worker that missed `suspect_after_missed` heartbeats is suspect (still holding its bots, not
given new ones); one silent for `lost_after_s` is lost for good: it must register again, and
the run's `on_worker_loss` policy decides what happens to its bots. Time is an injected
monotonic clock so the defaults are tested without waiting.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from botruntime.cluster._errors import ClusterConfigError, NotFound, ProtocolViolation
from botruntime.cluster._types import HealthSample, Liveness

__all__ = ["LivenessChange", "LivenessConfig", "WorkerRecord", "WorkerRegistry"]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class LivenessConfig:
    heartbeat_interval_s: float = 1.0
    suspect_after_missed: int = 3
    lost_after_s: float = 5.0
    dead_man_s: float = 10.0  # told to workers: stop every bot after this long alone

    def __post_init__(self) -> None:
        suspect_s = self.heartbeat_interval_s * self.suspect_after_missed
        if self.heartbeat_interval_s <= 0 or not suspect_s < self.lost_after_s < self.dead_man_s:
            raise ClusterConfigError(
                "liveness needs 0 < heartbeat_interval_s * suspect_after_missed < lost_after_s "
                f"< dead_man_s, got {self.heartbeat_interval_s} * {self.suspect_after_missed}, "
                f"{self.lost_after_s}, {self.dead_man_s}: lower the heartbeat or raise the limits"
            )

    @property
    def suspect_after_s(self) -> float:
        return self.heartbeat_interval_s * self.suspect_after_missed


@dataclass(slots=True)
class WorkerRecord:
    worker_id: str
    name: str
    capacity_bots: int
    session_key: bytes
    last_seen: float
    epoch: int  # the ownership epoch: one per registration, never reused
    liveness: Liveness = Liveness.ALIVE
    health: HealthSample | None = None
    connected: bool = False
    assignment_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class LivenessChange:
    worker_id: str
    before: Liveness
    after: Liveness


class WorkerRegistry:
    def __init__(self, config: LivenessConfig, clock: Clock) -> None:
        self.config = config
        self._clock = clock
        self._workers: dict[str, WorkerRecord] = {}
        self._next = 0

    def register(self, name: str, capacity_bots: int) -> WorkerRecord:
        if capacity_bots <= 0:
            raise ProtocolViolation(f"worker {name!r} registered with capacity_bots=0; give >= 1")
        self._next += 1
        worker_id = f"w{self._next}-{secrets.token_hex(3)}"
        record = WorkerRecord(
            worker_id=worker_id,
            name=name or worker_id,
            capacity_bots=capacity_bots,
            session_key=secrets.token_bytes(16),
            last_seen=self._clock(),
            epoch=self._next,
        )
        self._workers[worker_id] = record
        return record

    def get(self, worker_id: str) -> WorkerRecord:
        try:
            return self._workers[worker_id]
        except KeyError:
            raise NotFound(f"worker {worker_id!r}") from None

    def open_session(self, worker_id: str, session_key: bytes) -> WorkerRecord:
        """The Session's hello: the key proves it belongs to this registration."""
        record = self._workers.get(worker_id)
        if record is None or not hmac.compare_digest(record.session_key, session_key):
            raise ProtocolViolation(f"hello for {worker_id!r} does not match a registration")
        if record.liveness in (Liveness.LOST, Liveness.GONE):
            raise ProtocolViolation(f"worker {worker_id} is {record.liveness}; register again")
        record.connected = True
        record.last_seen = self._clock()
        return record

    def heartbeat(self, worker_id: str, health: HealthSample) -> LivenessChange | None:
        record = self.get(worker_id)
        if record.liveness in (Liveness.LOST, Liveness.GONE):
            raise ProtocolViolation(f"worker {worker_id} is {record.liveness}; register again")
        record.last_seen = self._clock()
        record.health = health
        if record.liveness is Liveness.SUSPECT:
            record.liveness = Liveness.ALIVE
            return LivenessChange(worker_id, Liveness.SUSPECT, Liveness.ALIVE)
        return None

    def dead(self, worker_id: str) -> bool:
        """Is this registration's epoch over (lost or gone)? Its messages then count for nothing."""
        return self.get(worker_id).liveness in (Liveness.LOST, Liveness.GONE)

    def fence_closes_at(self, record: WorkerRecord) -> float:
        """When a lost worker's lease has surely lapsed: its last heartbeat + dead_man_s."""
        return record.last_seen + self.config.dead_man_s

    def mark_gone(self, worker_id: str) -> None:
        self.get(worker_id).liveness = Liveness.GONE

    def age_s(self, record: WorkerRecord) -> float:
        return self._clock() - record.last_seen

    def sweep(self) -> list[LivenessChange]:
        """Judge every worker by the age of its last heartbeat; return what changed."""
        changes: list[LivenessChange] = []
        now = self._clock()
        for record in self._workers.values():
            if record.liveness in (Liveness.LOST, Liveness.GONE):
                continue
            age = now - record.last_seen
            if age >= self.config.lost_after_s:
                after = Liveness.LOST
            elif age >= self.config.suspect_after_s:
                after = Liveness.SUSPECT
            else:
                after = Liveness.ALIVE
            if after is not record.liveness:
                changes.append(LivenessChange(record.worker_id, record.liveness, after))
                record.liveness = after
                if after is Liveness.LOST:
                    record.connected = False
        return changes

    def alive(self) -> list[WorkerRecord]:
        """Workers fit for new bots, in registration order (placement is deterministic)."""
        return [r for r in self._workers.values() if r.liveness is Liveness.ALIVE and r.connected]

    def __iter__(self) -> Iterator[WorkerRecord]:
        return iter(list(self._workers.values()))
