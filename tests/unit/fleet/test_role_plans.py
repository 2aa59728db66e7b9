"""Bots per role and arrival plans from a scenario's sizes."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.fleet import role_bots, role_plan
from botruntime.scenario import ConstantLoad, RampingLoad, Role


def _role(name: str, share: float) -> Role:
    return Role(name=name, group="legitimate", share=share, behaviours={"send_ax": 1})


@settings(max_examples=60, deadline=None)
@given(
    shares=st.lists(st.floats(min_value=0.1, max_value=100), min_size=1, max_size=5),
    extra=st.integers(min_value=0, max_value=500),
)
def test_role_bots_cover_every_bot_once_and_give_each_role_one(
    shares: list[float], extra: int
) -> None:
    roles = [_role(f"r{i}", s) for i, s in enumerate(shares)]
    bots = len(roles) + extra
    ranges = role_bots(roles, bots)
    covered = [i for r in ranges.values() for i in r]
    assert covered == list(range(bots))
    assert all(len(r) >= 1 for r in ranges.values())


def test_role_bots_follow_the_shares() -> None:
    ranges = role_bots([_role("victim", 50), _role("replayer", 4)], 54)
    assert (len(ranges["victim"]), len(ranges["replayer"])) == (50, 4)


def test_too_few_bots_for_the_roles_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one each"):
        role_bots([_role("a", 1), _role("b", 1)], 1)


def test_constant_load_with_drain_and_window() -> None:
    load = ConstantLoad(kind="constant", rate_per_s=10, seconds=10, drain_s=5)
    plan = role_plan(load, seed="s")
    offsets = [t for _, t in plan.arrivals()]
    assert len(offsets) == 100 and plan.duration_s == 15
    windowed = ConstantLoad.model_validate(
        {"kind": "constant", "rate_per_s": 10, "seconds": 10, "active": {"from_s": 2, "until_s": 9}}
    )
    inside = [t for _, t in role_plan(windowed, seed="s").arrivals()]
    assert len(inside) == 70 and min(inside) >= 2 and max(inside) < 9


def test_ramping_load_counts_the_ramp_as_half() -> None:
    load = RampingLoad.model_validate(
        {
            "kind": "ramping",
            "stages": [
                {"kind": "ramp", "seconds": 5, "rate_per_s": 50},
                {"kind": "hold", "seconds": 50, "rate_per_s": 50},
                {"kind": "drain", "seconds": 10},
            ],
        }
    )
    arrivals = list(role_plan(load, seed="s").arrivals())
    assert abs(len(arrivals) - (125 + 2500)) <= 1


def test_capacity_fraction_needs_a_measured_capacity() -> None:
    load = ConstantLoad(kind="constant", capacity_fraction=0.5, seconds=10)
    with pytest.raises(ValueError, match="capacity_ramp"):
        role_plan(load, seed="s")
