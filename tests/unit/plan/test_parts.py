"""`RunPlan.part`: the parts of any placement add up to the whole plan (DESIGN §6).

A placement is what the coordinator makes: contiguous bot ranges weighted by their bot counts,
`share=(ShareLevel(i, weights),)`; a lost worker's part is placed again over survivors with the
real `place()` and one more ShareLevel, from the time they take over. For every role, each
arrival (open loop) or session (closed loop) of the plan lands in exactly one part, and only in
a part that holds a bot of that role.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.cluster._placement import WorkerRoom, place
from botruntime.load import SessionPlan, SessionRange, SessionShare, Share
from botruntime.plan import (
    PlanInvalid,
    PlanPart,
    PlanSource,
    RoleShare,
    RunPlan,
    ShareLevel,
    compile_plan,
    parse_target,
)

SCENARIOS = Path(__file__).parents[3] / "scenarios"
SIMNET = parse_target("simnet")
Item = tuple[int, float] | int  # an arrival (index, offset_s) or a session id


def _compile(text: str, size: str, name: str = "scenario.yaml") -> RunPlan:
    return compile_plan(PlanSource(text, size, "parts", SIMNET, "parts-run", (), name))


def _catalogue() -> dict[str, RunPlan]:
    """Every size of scenarios/ that compiles (those in fractions of C_tx do not)."""
    plans = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for size in ("smoke", "default", "full"):
            try:
                plans[f"{path.stem}.{size}"] = _compile(path.read_text(), size, path.name)
            except PlanInvalid:
                continue
    return plans


CATALOGUE = _catalogue()


def _closed_text(sessions: int, *, bots: int = 40, mixed: bool = False) -> str:
    """transfer_baseline with its smoke load closed; `mixed` keeps the open role and adds a
    closed one (a quarter of the bots) after it."""
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text())
    closed = {
        "kind": "closed",
        "sessions": sessions,
        "think_time": {"distribution": "exponential", "mean_s": 1},
        "seconds": 10,
    }
    smoke = doc["sizes"]["smoke"]
    smoke["bots"] = bots
    if mixed:
        user = doc["roles"][0]
        doc["roles"] = [{**user, "share": 3}, {**user, "name": "browser", "share": 1}]
        smoke["load"]["browser"] = closed
        for size in ("default", "full"):
            load = doc["sizes"][size]["load"]
            load["browser"] = load["general_user"]
    else:
        smoke["load"]["general_user"] = closed
    return yaml.safe_dump(doc)


CLOSED = {
    "closed-1-session": _compile(_closed_text(1), "smoke"),
    "closed-7-sessions": _compile(_closed_text(7), "smoke"),
    "closed-one-per-bot": _compile(_closed_text(40), "smoke"),
    "mixed-open-and-closed": _compile(_closed_text(9, mixed=True), "smoke"),
}


# -- placements -----------------------------------------------------------------------------


@st.composite
def splits(draw: st.DrawFn, total: int) -> tuple[int, ...]:
    """1..12 positive bot counts summing to `total`, in bot-index order."""
    parts = draw(st.integers(1, min(12, total)))
    if parts == 1:
        return (total,)
    cuts = sorted(draw(st.sets(st.integers(1, total - 1), min_size=parts - 1, max_size=parts - 1)))
    return tuple(b - a for a, b in itertools.pairwise([0, *cuts, total]))


@st.composite
def survivor_rooms(draw: st.DrawFn, bots: int) -> list[WorkerRoom]:
    """1..12 survivors with room for `bots` between them."""
    free = draw(st.lists(st.integers(1, bots), min_size=1, max_size=12))
    free[-1] += max(0, bots - sum(free))
    return [WorkerRoom(f"survivor-{i}", room) for i, room in enumerate(free)]


def _ranges(first: int, counts: Sequence[int]) -> list[range]:
    bounds = list(itertools.accumulate(counts, initial=first))
    return [range(a, b) for a, b in itertools.pairwise(bounds)]


def _placed(plan: RunPlan, weights: tuple[int, ...]) -> list[PlanPart]:
    return [
        plan.part(bots, (ShareLevel(i, weights),)) for i, bots in enumerate(_ranges(0, weights))
    ]


def _items(load: RoleShare | SessionShare) -> list[Item]:
    if isinstance(load, SessionShare | SessionRange):
        return list(load.session_ids())
    return list(load.arrivals())


def _whole(plan: RunPlan, role: int) -> list[Item]:
    load = plan.roles[role].load
    share = load if isinstance(load, Share) else load.whole()
    return _items(share)


def _assert_add_up(parts: Sequence[PlanPart], span: range, wholes: Sequence[list[Item]]) -> None:
    """The parts tile `span`; per role, their items are `wholes[role]` exactly once, each in a
    part that holds a bot of the role."""
    assert [part.bots.start for part in parts[1:]] == [part.bots.stop for part in parts[:-1]]
    assert (parts[0].bots.start, parts[-1].bots.stop) == (span.start, span.stop)
    for r, whole in enumerate(wholes):
        union: list[Item] = []
        for part in parts:
            role_part = part.roles[r]
            role = role_part.role
            held = [bot for bot in role.bots if bot in part.bots]  # a crew role's is strided
            assert list(role_part.bots) == held
            items = _items(role_part.load)
            assert not items or len(role_part.bots) > 0, (
                f"{role.name}: items on a part without bots"
            )
            union += items
        assert sorted(union) == sorted(whole), parts[0].roles[r].role.name


def _check_placement(plan: RunPlan, weights: tuple[int, ...]) -> list[PlanPart]:
    parts = _placed(plan, weights)
    _assert_add_up(parts, range(plan.bots), [_whole(plan, r) for r in range(len(plan.roles))])
    return parts


def _check_rebalance(
    plan: RunPlan,
    weights: tuple[int, ...],
    parts: list[PlanPart],
    lost: int,
    rooms: list[WorkerRoom],
    resume_s: float,
) -> None:
    """Worker `lost` is gone at `resume_s`: what it held before then, plus its part placed
    again over the survivors from then on, is its part."""
    gone = parts[lost]
    slots = place(len(gone.bots), gone.bots.start, rooms)
    again = tuple(slot.bot_count for slot in slots)
    levels = (ShareLevel(lost, weights),)
    survivors = [
        plan.part(
            range(s.bot_first, s.bot_first + s.bot_count), (*levels, ShareLevel(j, again)), resume_s
        )
        for j, s in enumerate(slots)
    ]
    remainders = [
        load.after(resume_s) if isinstance(load, Share) else load
        for load in (role_part.load for role_part in gone.roles)
    ]
    _assert_add_up(survivors, gone.bots, [_items(load) for load in remainders])
    for r, role_part in enumerate(gone.roles):
        if isinstance(role_part.load, Share):  # sessions have no time: all go to survivors
            kept = _items(role_part.load.before(resume_s))
            moved = [item for part in survivors for item in _items(part.roles[r].load)]
            assert sorted(kept + moved) == sorted(_items(role_part.load)), role_part.role.name


def _check_placement_and_loss(
    plan: RunPlan, weights: tuple[int, ...], lost: int, rooms: list[WorkerRoom], resume_s: float
) -> None:
    parts = _check_placement(plan, weights)
    _check_rebalance(plan, weights, parts, lost, rooms, resume_s)


def _items_in(plan: RunPlan) -> int:
    return sum(len(_whole(plan, r)) for r in range(len(plan.roles)))


# a placement is checked item by item: a plan of millions of arrivals (a `full` size) gets a
# few random placements, the others many; every plan of the catalogue gets some
_LARGE = 20_000
LARGE = sorted(case for case, plan in CATALOGUE.items() if _items_in(plan) > _LARGE)
SMALL = sorted(case for case in CATALOGUE if case not in LARGE)


def _placements_add_up(case: str, data: st.DataObject) -> None:
    plan = CATALOGUE[case]
    weights = data.draw(splits(plan.bots), label="weights")
    lost = data.draw(st.integers(0, len(weights) - 1), label="lost")
    rooms = data.draw(survivor_rooms(weights[lost]), label="survivors")
    resume_s = data.draw(st.floats(0.0, plan.duration_s), label="resume_s")
    _check_placement_and_loss(plan, weights, lost, rooms, resume_s)


@pytest.mark.parametrize("case", SMALL)
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_parts_of_every_catalogue_plan_add_up_to_the_plan(case: str, data: st.DataObject) -> None:
    _placements_add_up(case, data)


@pytest.mark.parametrize("case", LARGE)
@settings(max_examples=4, deadline=None)
@given(data=st.data())
def test_parts_of_the_largest_catalogue_plans_add_up_too(case: str, data: st.DataObject) -> None:
    _placements_add_up(case, data)


@pytest.mark.parametrize("case", sorted(CLOSED))
@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_sessions_of_a_closed_role_are_each_run_once(case: str, data: st.DataObject) -> None:
    plan = CLOSED[case]
    weights = data.draw(splits(plan.bots), label="weights")
    lost = data.draw(st.integers(0, len(weights) - 1), label="lost")
    rooms = data.draw(survivor_rooms(weights[lost]), label="survivors")
    resume_s = data.draw(st.floats(0.0, plan.duration_s), label="resume_s")
    _check_placement_and_loss(plan, weights, lost, rooms, resume_s)


def test_the_catalogue_and_the_closed_plans_are_there() -> None:
    assert {"transfer_baseline.smoke", "replay_attack.default"} <= set(CATALOGUE)
    assert [role.closed for role in CLOSED["mixed-open-and-closed"].roles] == [False, True]
    for plan in CLOSED.values():
        for r, role in enumerate(plan.roles):
            if isinstance(role.load, SessionPlan):
                assert _whole(plan, r) == list(range(role.load.sessions))


def test_no_share_is_the_whole_plan_and_idle_has_nothing() -> None:
    plan = CATALOGUE["replay_attack.smoke"]
    whole = plan.part()
    assert whole.bots == range(plan.bots)
    for r, role_part in enumerate(whole.roles):
        assert role_part.bots == role_part.role.bots
        assert _items(role_part.load) == _whole(plan, r)
    idle = whole.idle()
    assert idle.bots == whole.bots and all(not _items(r.load) for r in idle.roles)


def test_a_part_from_a_time_on_holds_only_arrivals_from_then() -> None:
    plan = CATALOGUE["transfer_baseline.smoke"]
    part = plan.part(range(plan.bots), (ShareLevel(0, (plan.bots,)),), from_s=5.0)
    later = [(i, t) for i, t in plan.roles[0].load.arrivals() if t >= 5.0]
    assert _items(part.roles[0].load) == later


def test_no_part_gets_more_sessions_than_bots_of_its_role() -> None:
    """`sessions` may equal the role's bots (one session per bot); every part must then have a
    bot for each of its sessions, or two sessions act through one bot at once."""
    plan = _compile(_closed_text(20, bots=20), "smoke")
    for weights in [(1, 19), (7, 7, 6), (10, 10), (5, 5, 5, 5)]:
        for part in _placed(plan, weights):
            role_part = part.roles[0]
            sessions = _items(role_part.load)
            assert len(sessions) <= len(role_part.bots), (weights, sessions, role_part.bots)
