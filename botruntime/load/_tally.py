"""What both executors count, as metrics and as a report the caller can read at the end."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from botruntime.metrics import Counter, Recorder

__all__ = ["Action", "LoopReport", "Tally"]

Action = Callable[[float, int], Awaitable[None]]
"""(intended_ts on time.perf_counter(), slot) -> the action. The slot (0 .. slots-1) names the
bot or connection that is busy until the action returns; an action records its own outcome."""

_log = logging.getLogger("botruntime.load")


@dataclass(frozen=True, slots=True)
class LoopReport:
    role: str
    # arrivals whose time came (open: started, blocked or dropped) or actions started (closed)
    offered: int
    dropped: int  # arrivals the generator reached too late to send (the tool's fault)
    failed: int  # actions that raised instead of recording an outcome
    abandoned: int  # still running when the drain deadline passed, then cancelled
    elapsed_s: float
    blocked: int = 0  # arrivals that found every slot busy (the network's doing)
    blocked_abandoned: int = 0  # blocked arrivals never placed (queue full, waited too long)


class Tally:
    def __init__(self, recorder: Recorder, role: str) -> None:
        self.role = role
        self._recorder = recorder
        self.offered = recorder.counter("gen.offered", role=role)
        self.dropped = recorder.counter("dropped", role=role)
        self.blocked = recorder.counter("n.blocked", role=role)
        self.blocked_abandoned = recorder.counter("n.blocked_abandoned", role=role)
        self.abandoned = recorder.counter("gen.abandoned", role=role)
        self._failed: dict[str, Counter] = {}
        self.n_offered = self.n_dropped = self.n_failed = self.n_abandoned = 0
        self.n_blocked = self.n_blocked_abandoned = 0

    def abandon_blocked(self) -> None:
        self.blocked_abandoned.add()
        self.n_blocked_abandoned += 1

    def failure(self, exc: Exception) -> None:
        """An action let an exception out: count it by type, log the first of each type."""
        kind = type(exc).__name__
        counter = self._failed.get(kind)
        if counter is None:
            counter = self._failed[kind] = self._recorder.counter(
                "gen.action_failed", role=self.role, error=kind
            )
            _log.error(
                "role %s: an action raised %s (logged once per type)", self.role, kind, exc_info=exc
            )
        counter.add()
        self.n_failed += 1

    def report(self, elapsed_s: float) -> LoopReport:
        return LoopReport(
            self.role,
            offered=self.n_offered,
            dropped=self.n_dropped,
            failed=self.n_failed,
            abandoned=self.n_abandoned,
            elapsed_s=elapsed_s,
            blocked=self.n_blocked,
            blocked_abandoned=self.n_blocked_abandoned,
        )
