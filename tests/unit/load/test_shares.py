"""Shares of a plan, and re-splits after a lost worker, add up to exactly the plan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.load import MergedShares, PlanError, SessionPlan, ThinkTime, constant, poisson

weights = st.lists(st.integers(1, 20), min_size=1, max_size=8)


@settings(max_examples=40, deadline=None)
@given(
    weights,
    weights,
    st.integers(0, 7),
    st.floats(0.0, 3.0),
    st.sampled_from(["constant", "poisson"]),
)
def test_split_then_merge_gives_the_plan(
    first: list[int], survivors: list[int], lost: int, lost_at_s: float, kind: str
) -> None:
    plan = constant(300, 3) if kind == "constant" else poisson(300, 3, seed=11)
    everything = list(plan.arrivals())
    shares = plan.split(first)
    held = [list(share.arrivals()) for share in shares]
    assert sorted(a for part in held for a in part) == everything  # union, no duplicates
    assert sum(len(part) for part in held) == len(everything)

    # one worker is lost at lost_at_s: what it had before stays, the rest goes to the others
    lost %= len(shares)
    regiven = shares[lost].after(lost_at_s).split(survivors)
    parts = [shares[lost].before(lost_at_s), *regiven]
    parts += [s for i, s in enumerate(shares) if i != lost]
    again = sorted(a for part in parts for a in part.arrivals())
    assert again == everything


def test_shares_track_their_weights_and_spread_in_time() -> None:
    plan = constant(1000, 10)
    shares = plan.split([3, 1])
    counts = [sum(1 for _ in s.arrivals()) for s in shares]
    assert counts[0] == pytest.approx(7500, abs=5)
    assert counts[1] == pytest.approx(2500, abs=5)
    small = [t for _, t in shares[1].arrivals()]
    assert sum(1 for t in small if t < 5) == pytest.approx(1250, abs=5)  # not bunched


def test_merged_shares_run_in_time_order() -> None:
    plan = constant(100, 1)
    a, b, c = plan.split([1, 1, 1])
    merged = list(MergedShares((a, c)).arrivals())
    assert [t for _, t in merged] == sorted(t for _, t in merged)
    assert len(merged) + sum(1 for _ in b.arrivals()) == 100


def test_sessions_split_exactly_too() -> None:
    plan = SessionPlan(sessions=37, think=ThinkTime(1.0), seconds=10)
    parts = [list(s.session_ids()) for s in plan.split([2, 1, 1])]
    assert sorted(i for p in parts for i in p) == list(range(37))
    assert len(parts[0]) == pytest.approx(18.5, abs=1.5)


@pytest.mark.parametrize("bad", [[], [0], [1, -2], [1.5]])
def test_weights_must_be_positive_integers(bad: list[int]) -> None:
    with pytest.raises(PlanError, match="weight"):
        constant(10, 1).split(bad)
