"""Where a bot is in its life, how it got there, and which moves are allowed next.

    created ──> funded ──> running ──> stopping ──> stopped
       │           │                      ▲
       └───────────┴──────────────────────┘    a bot that never ran can be stopped too

    created, funded, running, stopping ──> failed

`stopped` and `failed` are terminal. Every move is checked against this drawing; a wrong one
raises `IllegalTransition` and changes nothing. Moves only go forward, so the history holds at
most one entry per state (five at most): it stays small without trimming, even for a million
bots.

Errors:

LifecycleError        (RuntimeError)
└── IllegalTransition  .current, .target, .allowed
"""

from __future__ import annotations

import time
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

__all__ = [
    "BotState",
    "IllegalTransition",
    "Lifecycle",
    "LifecycleError",
    "Transition",
]


class BotState(StrEnum):
    CREATED = "created"
    FUNDED = "funded"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (BotState.STOPPED, BotState.FAILED)

    @property
    def allowed(self) -> frozenset[BotState]:
        """The states this one may move to."""
        return _NEXT[self]


_NEXT: Final = MappingProxyType(
    {
        BotState.CREATED: frozenset({BotState.FUNDED, BotState.STOPPING, BotState.FAILED}),
        BotState.FUNDED: frozenset({BotState.RUNNING, BotState.STOPPING, BotState.FAILED}),
        BotState.RUNNING: frozenset({BotState.STOPPING, BotState.FAILED}),
        BotState.STOPPING: frozenset({BotState.STOPPED, BotState.FAILED}),
        BotState.STOPPED: frozenset[BotState](),
        BotState.FAILED: frozenset[BotState](),
    }
)


class Transition(NamedTuple):
    """One entry of the history: the state entered, when (time.monotonic(), s) and why."""

    state: BotState
    at_s: float
    reason: str


class LifecycleError(RuntimeError):
    pass


class IllegalTransition(LifecycleError):
    def __init__(self, current: BotState, target: BotState, reason: str) -> None:
        allowed = sorted(current.allowed)
        where = f" ({reason})" if reason else ""
        fix = (
            f"it can go to {' or '.join(repr(s.value) for s in allowed)}"
            if allowed
            else "it is terminal: make a new bot instead"
        )
        super().__init__(f"a bot in {current.value!r} cannot go to {target.value!r}{where}; {fix}")
        self.current = current
        self.target = target
        self.allowed = frozenset(allowed)


class Lifecycle:
    """The checked state of one bot, with its (at most five-entry) history."""

    __slots__ = ("_history",)

    def __init__(self, *, at_s: float | None = None) -> None:
        start = time.monotonic() if at_s is None else at_s
        self._history: tuple[Transition, ...] = (Transition(BotState.CREATED, start, ""),)

    @property
    def state(self) -> BotState:
        return self._history[-1].state

    @property
    def history(self) -> tuple[Transition, ...]:
        """Every state entered, oldest first, starting with `created`."""
        return self._history

    @property
    def entered_at_s(self) -> float:
        """When the current state was entered (time.monotonic(), seconds)."""
        return self._history[-1].at_s

    @property
    def is_live(self) -> bool:
        return not self.state.is_terminal

    def can(self, target: BotState) -> bool:
        return target in self.state.allowed

    def to(self, target: BotState, reason: str = "", *, at_s: float | None = None) -> Transition:
        """Move to `target` or raise IllegalTransition; returns the new history entry."""
        current = self.state
        if target not in current.allowed:
            raise IllegalTransition(current, target, reason)
        entry = Transition(target, time.monotonic() if at_s is None else at_s, reason)
        self._history = (*self._history, entry)
        return entry

    def funded(self, reason: str = "") -> Transition:
        return self.to(BotState.FUNDED, reason)

    def running(self, reason: str = "") -> Transition:
        return self.to(BotState.RUNNING, reason)

    def stopping(self, reason: str = "") -> Transition:
        return self.to(BotState.STOPPING, reason)

    def stopped(self, reason: str = "") -> Transition:
        return self.to(BotState.STOPPED, reason)

    def failed(self, reason: str) -> Transition:
        """Any live state may fail; the reason is required, it is what the report shows."""
        if not reason:
            raise ValueError("failed() needs a reason, e.g. failed('funding tx rejected')")
        return self.to(BotState.FAILED, reason)

    def __repr__(self) -> str:
        return f"<Lifecycle {self.state.value} after {len(self._history) - 1} moves>"
