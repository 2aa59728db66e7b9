"""Barrier rounds: a batch of arrivals due at one instant, round after round, and any split of
them over workers keeps every arrival at its round's instant."""

from __future__ import annotations

from collections import Counter

import pytest

from botruntime.load import PlanError, RoundsPlan, rounds


def test_every_arrival_of_a_round_is_due_at_the_rounds_instant() -> None:
    plan = rounds(2.0, 3, 5, first_s=1.0, drain_s=4.0)
    offsets = list(plan.offsets())
    assert Counter(offsets) == {1.0: 5, 3.0: 5, 5.0: 5}
    assert offsets == sorted(offsets)
    assert plan.expected_count() == 15
    assert plan.duration_s == 1.0 + 3 * 2.0 + 4.0
    assert plan.hold_windows() == ((1.0, 7.0),)
    assert [plan.release_s(k) for k in range(3)] == [1.0, 3.0, 5.0]


def test_a_split_over_workers_keeps_each_round_on_its_one_instant() -> None:
    plan = rounds(2.0, 25, 20, first_s=2.0)
    shares = plan.split([58, 58])
    per_share = [Counter(offset for _, offset in share.arrivals()) for share in shares]
    # together they are the whole plan, and each worker fires only at the release instants
    assert per_share[0] + per_share[1] == Counter(plan.offsets())
    releases = {plan.release_s(k) for k in range(25)}
    for counted in per_share:
        assert set(counted) <= releases
        assert 200 <= sum(counted.values()) <= 300  # both workers hold about half the sets


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((0.0, 3, 5), "every_s > 0"),
        ((1.0, 0, 5), "count >= 1"),
        ((1.0, 3, 0), "per_round >= 1"),
    ],
)
def test_rounds_that_cannot_run_are_refused_with_what_to_fix(
    args: tuple[float, int, int], needle: str
) -> None:
    with pytest.raises(PlanError, match=needle):
        RoundsPlan(*args)
