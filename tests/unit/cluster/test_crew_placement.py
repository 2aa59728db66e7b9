"""Crews are placed whole (botruntime.plan's docstring says why): for any crew layout and any
worker capacities, `place_segments` cuts crew blocks only between crews, spreads crews over the
workers by capacity, and the parts of the placement still add up to the whole plan."""

from __future__ import annotations

import itertools
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.cluster._placement import WorkerRoom, place, place_segments
from botruntime.load import SessionPlan, SessionRange, Share
from botruntime.plan import (
    PlanSource,
    RolePlan,
    RunPlan,
    ShareLevel,
    compile_plan,
    parse_target,
)


def crew_scenario(victims: int, crews: int, crew_roles: int, closed: bool) -> str:
    """Victims outside crews and `crews` crews of `crew_roles` roles (one bot each)."""
    hold = {"kind": "constant", "rate_per_s": 7, "seconds": 10, "drain_s": 2}
    loop = {
        "kind": "closed",
        "sessions": crews,
        "think_time": {"distribution": "constant", "mean_s": 0.1},
        "seconds": 10,
    }
    roles: list[dict[str, Any]] = [
        {"name": "victim", "group": "legitimate", "share": victims, "behaviours": {"swap": 1}}
    ]
    load: dict[str, Any] = {"victim": hold}
    for i in range(crew_roles):
        name = f"member{i}"
        roles.append(
            {
                "name": name,
                "group": "adversarial",
                "crew": "gang",
                "share": crews,
                "behaviours": {"front_run": 1},
            }
        )
        load[name] = loop if closed and i else {**hold, "rate_per_s": 3}
    doc = {
        "id": "crews",
        "description": "crews",
        "target": {"chains": ["delta-simnet-*"], "allow_adversarial": True},
        "seed": 1,
        "roles": roles,
        "sizes": {"default": {"bots": victims + crews * crew_roles, "load": load}},
        "verdict": {"criteria": [{"id": "C1", "expr": "n.lost == 0"}]},
        "limits": {
            "max_rate_per_s": 1000,
            "max_bots": 10_000,
            "max_spend_per_bot": {"DX": 1},
            "max_spend_total": {"DX": 10**9},
        },
    }
    return yaml.safe_dump(doc)


def compiled(victims: int, crews: int, crew_roles: int, closed: bool) -> RunPlan:
    text = crew_scenario(victims, crews, crew_roles, closed)
    source = PlanSource(text, "default", "s", parse_target("simnet"), "r", (), "crews.yaml")
    return compile_plan(source)


def items(load: object) -> list[object]:
    if isinstance(load, SessionRange):
        return list(load.session_ids())
    assert isinstance(load, Share)
    return list(load.arrivals())


def whole_items(role: RolePlan) -> list[object]:
    if isinstance(role.load, SessionPlan):
        return list(range(role.load.sessions))
    return items(role.load if isinstance(role.load, Share) else role.load.whole())


@settings(max_examples=60, deadline=None)
@given(
    victims=st.integers(1, 40),
    crews=st.integers(1, 9),
    crew_roles=st.integers(2, 4),
    closed=st.booleans(),
    capacities=st.lists(st.integers(1, 200), min_size=1, max_size=5),
)
def test_crews_stay_whole_spread_by_capacity_and_parts_add_up(
    victims: int, crews: int, crew_roles: int, closed: bool, capacities: list[int]
) -> None:
    plan = compiled(victims, crews, crew_roles, closed)
    (crew,) = plan.crews
    assert (len(crew.bots), crew.size) == (crews * crew_roles, crew_roles)
    rooms = [WorkerRoom(f"w{i}", c + plan.bots) for i, c in enumerate(capacities)]
    slots = place_segments(plan.segments(), rooms)
    # the slots tile the run's bots in order
    bounds = [(s.bot_first, s.bot_first + s.bot_count) for s in slots]
    assert bounds[0][0] == 0 and bounds[-1][1] == plan.bots
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
    # a slot that holds part of a crew holds all of it: every member of crew j on one worker
    for number in range(crews):
        members = {crew.member(number, role) for role in crew.roles}
        holders = {s.worker_id for s in slots if members & set(range(*bounds[slots.index(s)]))}
        assert len(holders) == 1
    # crews are spread like the capacity: each worker holds its share of the crews, rounded
    held = {room.worker_id: 0 for room in rooms}
    for slot in slots:
        if slot.bot_first in crew.bots:
            held[slot.worker_id] += slot.bot_count // crew.size
    free = sum(room.free_bots for room in rooms)
    for room in rooms:
        assert abs(held[room.worker_id] - crews * room.free_bots / free) < 1
    # the plan's split: every arrival and session of every role runs once, where its bots are
    weights = tuple(s.bot_count for s in slots)
    parts = [plan.part(range(*b), (ShareLevel(i, weights),)) for i, b in enumerate(bounds)]
    for r, role in enumerate(plan.roles):
        whole = whole_items(role)
        merged = [item for part in parts for item in items(part.roles[r].load)]
        assert sorted(map(str, merged)) == sorted(map(str, whole)), role.name
        for part in parts:
            assert list(part.roles[r].bots) == [b for b in role.bots if b in part.bots]


def test_a_lost_crew_slot_moves_in_whole_crews() -> None:
    """Crews 30..38 of three bots over survivors with room for one and for four crews."""
    slots = place(9, 30, [WorkerRoom("a", 3), WorkerRoom("b", 12)], unit=3)
    assert [(s.worker_id, s.bot_first, s.bot_count) for s in slots] == [
        ("a", 30, 3),
        ("b", 33, 6),
    ]


def test_three_workers_get_one_sandwich_crew_each() -> None:
    """A5 smoke on three equal workers: 56 bots outside crews, then crews of three."""
    plan = compiled(56, 3, 3, closed=True)
    slots = place_segments(plan.segments(), [WorkerRoom(f"w{i}", 100) for i in range(3)])
    crew_slots = [(s.worker_id, s.bot_first, s.bot_count) for s in slots if s.bot_first >= 56]
    assert crew_slots == [("w0", 56, 3), ("w1", 59, 3), ("w2", 62, 3)]
