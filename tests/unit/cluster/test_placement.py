"""Contiguous bot ranges in proportion to free capacity, adding up exactly."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.cluster import PlacementError
from botruntime.cluster._placement import WorkerRoom, place


def test_ranges_follow_capacity_and_tile_the_bots() -> None:
    slots = place(100, 0, [WorkerRoom("a", 200), WorkerRoom("b", 100), WorkerRoom("c", 100)])
    assert [(s.worker_id, s.bot_first, s.bot_count) for s in slots] == [
        ("a", 0, 50),
        ("b", 50, 25),
        ("c", 75, 25),
    ]


def test_workers_without_room_or_bots_get_no_slot() -> None:
    slots = place(
        2, 10, [WorkerRoom("full", 0), WorkerRoom("a", 5), WorkerRoom("b", 5), WorkerRoom("c", 5)]
    )
    assert [(s.worker_id, s.bot_first) for s in slots] == [("a", 10), ("b", 11)]


def test_too_many_bots_for_the_live_workers_is_refused_with_the_fix() -> None:
    with pytest.raises(PlacementError, match="start more workers") as refused:
        place(11, 0, [WorkerRoom("a", 5), WorkerRoom("b", 5)])
    assert (refused.value.needed, refused.value.available) == (11, 10)


@settings(max_examples=60, deadline=None)
@given(
    bots=st.integers(1, 5000),
    rooms=st.lists(st.integers(0, 3000), min_size=1, max_size=12),
    first=st.integers(0, 10**6),
)
def test_any_placement_is_exact_contiguous_and_within_room(
    bots: int, rooms: list[int], first: int
) -> None:
    workers = [WorkerRoom(f"w{i}", room) for i, room in enumerate(rooms)]
    if sum(rooms) < bots:
        with pytest.raises(PlacementError):
            place(bots, first, workers)
        return
    slots = place(bots, first, workers)
    assert sum(s.bot_count for s in slots) == bots
    assert slots[0].bot_first == first
    for before, after in itertools.pairwise(slots):
        assert before.bot_first + before.bot_count == after.bot_first
    free = {w.worker_id: w.free_bots for w in workers}
    assert all(0 < s.bot_count <= free[s.worker_id] for s in slots)
