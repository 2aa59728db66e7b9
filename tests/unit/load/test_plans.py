"""Arrival plans: how many arrivals, when, and the errors that name what to fix."""

from __future__ import annotations

import itertools

import pytest

from botruntime.load import PlanError, Stage, constant, poisson, poisson_stages, ramping


def test_constant_is_evenly_spaced_from_zero() -> None:
    offsets = list(constant(50, 2).offsets())
    assert len(offsets) == 100
    assert offsets[:3] == pytest.approx([0.0, 0.02, 0.04])
    assert offsets[-1] == pytest.approx(1.98)


def test_ramp_hold_drain_offers_the_area_under_the_rate() -> None:
    plan = ramping([Stage("ramp", 10, 50), Stage("hold", 40, 50), Stage("drain", 10)])
    offsets = list(plan.offsets())
    assert plan.duration_s == 60
    assert len(offsets) == 250 + 2000 == plan.expected_count()
    in_ramp = [t for t in offsets if t < 10]
    assert len(in_ramp) == 250
    first_half = sum(1 for t in in_ramp if t < 5)
    assert first_half == pytest.approx(62.5, abs=1)  # rate climbs linearly: a quarter of it
    assert all(t < 50 for t in offsets)  # nothing new in the drain
    assert offsets == sorted(offsets)


def test_ramp_down_between_holds() -> None:
    plan = ramping([Stage("hold", 2, 100), Stage("ramp", 2, 0), Stage("hold", 1, 10)])
    offsets = list(plan.offsets())
    assert len(offsets) == 200 + 100 + 10
    assert sum(1 for t in offsets if 2 <= t < 4) == 100


def test_hold_windows_are_the_hold_stages_or_all_a_plan_sends() -> None:
    stages = [Stage("ramp", 5, 50), Stage("hold", 50, 50), Stage("drain", 10)]
    assert ramping(stages).hold_windows() == ((5.0, 55.0),)
    stepped = [Stage("hold", 2, 100), Stage("ramp", 2, 0), Stage("hold", 1, 10)]
    assert poisson_stages(stepped, seed=1).hold_windows() == ((0.0, 2.0), (4.0, 5.0))
    assert constant(50, 60).hold_windows() == ((0.0, 60.0),)
    # a pure ramp has no hold stage: the generator must keep up with all it sends
    assert ramping([Stage("ramp", 10, 100), Stage("drain", 5)]).hold_windows() == ((0.0, 10.0),)
    # an active window cuts them: the role sends only from 20 s to 40 s
    assert ramping(stages).whole().after(20.0).before(40.0).hold_windows() == ((20.0, 40.0),)
    assert ramping(stages).whole().before(3.0).hold_windows() == ()


def test_poisson_is_seeded_and_near_its_rate() -> None:
    plan = poisson(200, 20, seed=3)
    first = list(plan.offsets())
    assert first == list(plan.offsets())  # replays identically: every worker sees the same plan
    assert first != list(poisson(200, 20, seed=4).offsets())
    assert abs(len(first) - 4000) < 4 * 4000**0.5  # within 4 standard deviations
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert sum(gaps) / len(gaps) == pytest.approx(1 / 200, rel=0.1)
    staged = poisson_stages([Stage("ramp", 10, 100), Stage("hold", 10, 100)], seed=1)
    assert abs(sum(1 for _ in staged.offsets()) - 1500) < 4 * 1500**0.5


def test_a_long_plan_is_generated_lazily() -> None:
    plan = constant(5000, 15 * 60)
    offsets = plan.offsets()
    assert not isinstance(offsets, list)
    assert next(itertools.islice(offsets, 100_000, None)) == pytest.approx(20.0)
    assert plan.expected_count() == 4_500_000


@pytest.mark.parametrize(
    ("stages", "field"),
    [
        ([], "stages"),
        ([Stage("hold", 10)], "stages[0] (hold)"),
        ([Stage("hold", 10, 5), Stage("ramp", 0, 5)], "stages[1] (ramp)"),
        ([Stage("hold", 10, -1)], "stages[0] (hold)"),
    ],
)
def test_bad_stages_name_the_stage(stages: list[Stage], field: str) -> None:
    with pytest.raises(PlanError) as err:
        ramping(stages)
    assert err.value.field == field
