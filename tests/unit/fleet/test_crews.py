"""A fleet's crews: each member finds its mates by role and reaches them over the fleet's own
bus; a bot outside crews has none; a crew acts on a key once."""

from __future__ import annotations

from pathlib import Path

import pytest

from botruntime.bots.bot import Bot
from botruntime.fleet import Crews
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target

pytestmark = pytest.mark.anyio
SCENARIO = Path(__file__).parents[3] / "scenarios" / "sandwich_mev.yaml"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def plan() -> RunPlan:
    source = PlanSource(SCENARIO.read_text(), "smoke", "s", parse_target("simnet"), "r")
    return compile_plan(source)


def bots_of(run: RunPlan, indices: range) -> list[Bot]:
    roles = {i: role.name for role in run.roles for i in role.bots}
    return [Bot("s", i, roles[i]) for i in indices]


async def test_members_find_each_other_and_talk_over_the_bus() -> None:
    run = plan()
    (crew,) = run.crews
    assert crew.roles == ("sandwich_watcher", "front_runner", "back_runner")
    bots = bots_of(run, range(crew.bots.start + 3, crew.bots.start + 6))  # crew 1, whole
    crews = Crews(run, bots)
    watcher, front, back = (crews.view(bot) for bot in bots)
    assert watcher is not None and front is not None and back is not None
    assert (watcher.number, watcher.role) == (1, "sandwich_watcher")
    assert watcher.member("back_runner") == bots[2].index
    assert front.take() is None
    assert await watcher.send("front_runner", "front", {"victim": "AB", "amount": 5})
    message = front.take()
    assert message is not None and message.payload == {"victim": "AB", "amount": 5}
    assert message.sender == "sandwich/1/sandwich_watcher" and back.take() is None
    assert watcher.first_sight("AB") and not front.first_sight("AB")  # one memory per crew
    crews.close()


def test_a_bot_outside_crews_has_none() -> None:
    run = plan()
    crews = Crews(run, bots_of(run, range(0, 3)))
    assert len(crews) == 0
    assert crews.view(Bot("s", 0, "trader")) is None
