"""Placement: contiguous bot ranges by capacity, and the arrival plan split in the same ratio.

Each worker gets a contiguous range of bot indices (so it re-derives exactly those keys) sized
in proportion to its free capacity, by largest remainder so the sizes add up exactly. Its plan
weight is its bot count, so every bot sees the same arrival rate wherever it lives; the split
itself is botruntime.load's `Share.split(weights)`, applied by the runner (`plan_share`).

A run with crews is placed segment by segment (`place_segments`, segments from
`RunPlan.segments()`): the roles outside crews, then each crew block, cut only between whole
crews (`Segment.unit`). Each segment is split over the workers by capacity, so a worker may get
one range per segment (one assignment each), and every worker with part of a crew block holds
whole crews: a crew's bus never has to leave its worker (the reasoning is in botruntime.plan).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from botruntime.cluster._errors import PlacementError
from botruntime.plan import Segment

__all__ = ["Slot", "WorkerRoom", "place", "place_segments"]


@dataclass(frozen=True, slots=True)
class WorkerRoom:
    worker_id: str
    free_bots: int


@dataclass(frozen=True, slots=True)
class Slot:
    worker_id: str
    bot_first: int
    bot_count: int


def place(bots: int, first_bot: int, rooms: Sequence[WorkerRoom], *, unit: int = 1) -> list[Slot]:
    """Split bots [first_bot, first_bot + bots) over `rooms`, cutting only every `unit` bots
    (a crew's size); workers left with none get no slot."""
    if unit > 1:
        return [
            Slot(s.worker_id, first_bot + (s.bot_first - first_bot) * unit, s.bot_count * unit)
            for s in place(bots // unit, first_bot, _per_unit(rooms, unit, bots))
        ]
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


def _per_unit(rooms: Sequence[WorkerRoom], unit: int, bots: int) -> list[WorkerRoom]:
    """Rooms counted in units of `unit` bots (at least one unit each, so that a segment smaller
    than one unit per worker still goes somewhere)."""
    if bots % unit:
        raise PlacementError(bots, 0, f"{bots} bots are not whole crews of {unit}")
    return [
        WorkerRoom(r.worker_id, max(r.free_bots // unit, 1 if r.free_bots else 0)) for r in rooms
    ]


def place_segments(segments: Sequence[Segment], rooms: Sequence[WorkerRoom]) -> list[Slot]:
    """Place each segment over `rooms` by capacity (crew blocks in whole crews); the slots in
    bot order, so their counts are the plan split's weights."""
    total = sum(len(segment.bots) for segment in segments)
    available = sum(room.free_bots for room in rooms if room.free_bots > 0)
    if available < total:
        raise PlacementError(
            total,
            available,
            f"{total} bots do not fit on live workers with room for {available}: start more "
            "workers (testbots worker) or raise their --capacity",
        )
    slots: list[Slot] = []
    for segment in segments:
        if len(segment.bots):
            slots += place(len(segment.bots), segment.bots.start, rooms, unit=segment.unit)
    return slots
