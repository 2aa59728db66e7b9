"""Per-role plan shares: every arrival of a role runs exactly once, on a worker with its bots."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.cluster import ShareLevel, role_share
from botruntime.load import constant


def _parts(total: int, cuts: list[int]) -> list[int]:
    edges = [*sorted({c % total for c in cuts} | {0}), total]
    return [b - a for a, b in itertools.pairwise(edges) if b > a]


@settings(max_examples=80, deadline=None)
@given(
    total=st.integers(min_value=2, max_value=60),
    role_cut=st.tuples(st.integers(0, 59), st.integers(1, 60)),
    cuts=st.lists(st.integers(0, 59), max_size=4),
    inner_cuts=st.lists(st.integers(0, 59), max_size=3),
)
def test_role_shares_over_workers_and_a_rebalance_are_exactly_the_plan(
    total: int, role_cut: tuple[int, int], cuts: list[int], inner_cuts: list[int]
) -> None:
    start = role_cut[0] % total
    role = range(start, min(total, start + role_cut[1]))
    plan = constant(50, 4)
    weights = tuple(_parts(total, cuts))
    got: list[int] = []
    for i, weight in enumerate(weights):
        level = ShareLevel(i, weights)
        first = sum(weights[:i])
        worker = range(first, first + weight)
        if i == 0 and weight > 1:  # worker 0 is lost at 1 s: its remainder goes to two others
            inner = tuple(_parts(weight, inner_cuts))
            before = role_share(plan, role, total, [level], 0.0).before(1.0)
            got += [n for n, _ in before.arrivals()]
            for j in range(len(inner)):
                share = role_share(plan, role, total, [level, ShareLevel(j, inner)], 1.0)
                sub = range(first + sum(inner[:j]), first + sum(inner[: j + 1]))
                arrivals = [n for n, _ in share.arrivals()]
                assert not arrivals or set(sub) & set(role)
                got += arrivals
            continue
        arrivals = [n for n, _ in role_share(plan, role, total, [level], 0.0).arrivals()]
        assert not arrivals or set(worker) & set(role)  # never on a worker without the role
        got += arrivals
    assert sorted(got) == [n for n, _ in plan.arrivals()]
