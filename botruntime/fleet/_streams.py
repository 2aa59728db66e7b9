"""Subscribers' event streams, kept open between their actions, and what each stream owes.

A subscriber follows its node's blocks and txs (`GET /events/stream`) across many actions, as
a wallet backend does: the stream stays open while the bot thinks, and the fleet closes every
stream at the end (`Subscriptions.aclose`). `StreamCheck` is what the subscriber checks as it
reads: every block once, in order, each linked to the one before it, and as many tx events
before a block as the block says it holds (SCENARIOS.md R4 C3).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime

from botruntime.chain.errors import ChainError
from botruntime.chain.events import BlockEvent, EventStream, TxEvent

__all__ = ["StreamCheck", "StreamFindings", "Subscription", "Subscriptions", "wall_time_s"]


@dataclass(frozen=True, slots=True)
class StreamFindings:
    """What one event showed wrong about the stream (all zero: nothing)."""

    missed_blocks: int = 0  # heights skipped between two block events
    repeated_blocks: int = 0  # a block event at or below a height already complete
    broken_links: int = 0  # a block whose prev_hash is not the hash of the block before it
    missed_txs: int = 0  # fewer tx events before a block than the block holds
    repeated_txs: int = 0  # a tx event of a block already complete

    def __bool__(self) -> bool:
        return any(
            (
                self.missed_blocks,
                self.repeated_blocks,
                self.broken_links,
                self.missed_txs,
                self.repeated_txs,
            )
        )


_CLEAN = StreamFindings()


class StreamCheck:
    """The last complete block a subscriber saw, and the tx events of the block being read."""

    __slots__ = ("_txs", "_txs_height", "hash", "height")

    def __init__(self) -> None:
        self.height: int | None = None
        self.hash: str | None = None
        self._txs_height: int | None = None
        self._txs = 0

    def resume(self) -> None:
        """A new connection sends the unfinished block's tx events again from its first."""
        self._txs_height, self._txs = None, 0

    def tx(self, event: TxEvent) -> StreamFindings:
        if self.height is not None and event.height <= self.height:
            return StreamFindings(repeated_txs=1)
        if event.height != self._txs_height:
            self._txs_height, self._txs = event.height, 0
        self._txs += 1
        return _CLEAN

    def block(self, event: BlockEvent) -> StreamFindings:
        seen = self._txs if self._txs_height == event.height else 0
        self._txs_height, self._txs = None, 0
        last = self.height
        if last is not None and event.height <= last:
            return StreamFindings(repeated_blocks=1)
        missed = 0 if last is None else event.height - last - 1
        broken = int(missed == 0 and self.hash is not None and event.prev_hash != self.hash)
        self.height, self.hash = event.height, event.hash
        return StreamFindings(
            missed_blocks=missed, broken_links=broken, missed_txs=max(0, event.txs - seen)
        )


def wall_time_s(text: str) -> float | None:
    """A block's RFC 3339 time as POSIX seconds; None when the node wrote something else."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


@dataclass(slots=True)
class Subscription:
    """One bot's stream of its node's blocks and txs, and what it has seen of it."""

    stream: EventStream | None = None
    check: StreamCheck = field(default_factory=StreamCheck)
    actions: int = 0  # actions of its bot so far (a subscriber goes offline every few)
    connections: int = 0  # the open stream's connections already counted by its reader
    resume_from: int | None = None  # the next height of the last stream closed
    last_block_wall_s: float | None = None
    block_interval_s: float | None = None  # between the last two blocks read, by their times

    def saw_block(self, event: BlockEvent) -> float | None:
        """Note a block's time; its wall-clock time (None if the node wrote no RFC 3339)."""
        at = wall_time_s(event.time)
        if at is not None and self.last_block_wall_s is not None and at > self.last_block_wall_s:
            self.block_interval_s = at - self.last_block_wall_s
        self.last_block_wall_s = at
        return at

    @property
    def resume_height(self) -> int | None:
        """Where a new connection starts: the height after the last complete block seen."""
        return self.resume_from if self.stream is None else self.stream.next_height

    def opened(self, stream: EventStream) -> None:
        """`stream` (connected) replaces the closed one; it sends an unfinished block again."""
        self.stream, self.connections = stream, stream.connections
        self.check.resume()

    async def close(self) -> None:
        if self.stream is not None:
            self.resume_from = self.stream.next_height
            with contextlib.suppress(ChainError, OSError):
                await self.stream.aclose()
            self.stream = None


class Subscriptions:
    """The fleet's subscriptions by bot index; each bot runs one action at a time."""

    def __init__(self) -> None:
        self._by_bot: dict[int, Subscription] = {}

    def of(self, bot_index: int) -> Subscription:
        found = self._by_bot.get(bot_index)
        if found is None:
            found = self._by_bot[bot_index] = Subscription()
        return found

    async def aclose(self) -> None:
        for subscription in self._by_bot.values():
            await subscription.close()
