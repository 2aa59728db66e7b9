"""Placement: contiguous bot ranges by capacity, and the arrival plan split in the same ratio.

Each worker gets a contiguous range of bot indices (so it re-derives exactly those keys) sized
in proportion to its free capacity, by largest remainder so the sizes add up exactly. Its plan
weight is its bot count, so every bot sees the same arrival rate wherever it lives; the split
itself is botruntime.load's `Share.split(weights)`, applied by the runner (`plan_share`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botruntime.cluster._errors import PlacementError

__all__ = ["Slot", "WorkerRoom", "place"]


@dataclass(frozen=True, slots=True)
class WorkerRoom:
    worker_id: str
    free_bots: int


@dataclass(frozen=True, slots=True)
class Slot:
    worker_id: str
    bot_first: int
    bot_count: int


def place(bots: int, first_bot: int, rooms: Sequence[WorkerRoom]) -> list[Slot]:
    """Split bots [first_bot, first_bot + bots) over `rooms`; workers left with none get no slot."""
    if bots <= 0:
        raise PlacementError(bots, 0, f"a run needs at least one bot, got bots={bots}")
    usable = [room for room in rooms if room.free_bots > 0]
    available = sum(room.free_bots for room in usable)
    if available < bots:
        raise PlacementError(
            bots,
            available,
            f"{bots} bots do not fit on {len(usable)} live workers with room for {available}: "
            "start more workers (testbots worker) or raise their --capacity",
        )
    exact = [bots * room.free_bots / available for room in usable]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(usable)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: bots - sum(counts)]:
        counts[i] += 1
    slots: list[Slot] = []
    next_bot = first_bot
    for room, count in zip(usable, counts, strict=True):
        if count == 0:
            continue
        slots.append(Slot(room.worker_id, next_bot, count))
        next_bot += count
    return slots
