"""Fencing: a bot has one owner at a time, even when a worker freezes and comes back.

Two halves of one protocol (the package docstring tells it whole):

- `Lease` is the worker's side: its right to act for its bots. It is granted by a
  registration and renewed by every heartbeat the coordinator acknowledges, counted from the
  moment that heartbeat was *sent*; it lapses `term_s` (the dead-man interval) later. A worker
  whose lease lapsed, or was revoked, sends nothing for any bot: the fleet asks `valid()`
  before it signs, so a process that was frozen and resumes cannot slip one tx out before
  its dead-man switch runs.
- `Fence` is the coordinator's side: a lost worker's epoch, still open. Its bots move only
  once it closes: every assignment it held acknowledged the stop (its result arrived), or the
  dead-man interval passed since its last heartbeat, by when its lease has lapsed.

Both take an injected monotonic clock, so the state changes are tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Fence", "FencedMessage", "Lease", "MessageKind"]

Clock = Callable[[], float]


class Lease:
    """The worker's right to act for the bots it holds (one registration = one epoch)."""

    def __init__(self, term_s: float, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self.term_s = term_s
        self._from: float | None = None  # start of the current term (a send time)
        self._beats: dict[int, float] = {}  # heartbeat seq -> when it was sent
        self.revoked = "never granted"  # why the worker may not act; "" while it may

    def begin(self, asked_at: float, term_s: float) -> None:
        """A registration answered: the epoch's first term runs from when it was asked for."""
        self.term_s = term_s
        self._from = asked_at
        self._beats.clear()
        self.revoked = ""

    def now(self) -> float:
        return self._clock()

    def beat(self, seq: int) -> None:
        """Heartbeat `seq` goes out now."""
        if not self.revoked:
            self._beats[seq] = self._clock()

    def ack(self, seq: int) -> None:
        """The coordinator saw heartbeat `seq`: the term runs again from when it was sent."""
        sent = self._beats.get(seq)
        if sent is None or self.revoked:
            return  # a beat of an older epoch, or one already counted
        for old in [s for s in self._beats if s <= seq]:
            del self._beats[old]
        self._from = sent if self._from is None else max(self._from, sent)

    def revoke(self, reason: str) -> None:
        """The epoch is over on this side (lost session, dead-man switch, fenced by word)."""
        self.revoked = reason or "revoked"
        self._from = None
        self._beats.clear()

    def remaining_s(self) -> float:
        if self.revoked or self._from is None:
            return 0.0
        return max(self._from + self.term_s - self._clock(), 0.0)

    def valid(self) -> bool:
        """May the worker act for its bots now? Checked before every tx is signed."""
        return self.remaining_s() > 0.0


class MessageKind(StrEnum):
    HEARTBEAT = "heartbeat"
    DELTA = "delta"
    RESULT = "result"


@dataclass(frozen=True, slots=True)
class FencedMessage:
    """A message of a dead epoch the coordinator ignored (kept for the record, never merged)."""

    worker_id: str
    epoch: int
    kind: MessageKind
    assignment_id: str = ""


@dataclass(slots=True)
class Fence:
    """A lost worker's epoch while its bots wait to move (coordinator side)."""

    worker_id: str
    epoch: int
    closes_at: float  # the worker's last heartbeat + dead_man_s, on the coordinator's clock
    waiting: set[str] = field(default_factory=set)  # assignments yet to acknowledge the stop
    acknowledged: bool = False  # closed by the worker's word rather than by time

    def acknowledge(self, assignment_id: str) -> None:
        self.waiting.discard(assignment_id)
        if not self.waiting:
            self.acknowledged = True

    def closed(self, now: float) -> bool:
        return self.acknowledged or now >= self.closes_at
