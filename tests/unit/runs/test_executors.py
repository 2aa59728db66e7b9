"""What a followed cluster run says about lost workers: G3's input."""

from __future__ import annotations

import pytest

from botruntime.cluster import LoadGap, RunView
from botruntime.runs._executors import ClusterRun, CoordinatorAddress


def _followed(policy: str, lost: tuple[str, ...]) -> ClusterRun:
    run = ClusterRun(CoordinatorAddress("127.0.0.1:1", "token"), "r1")
    gaps = tuple(
        LoadGap(worker, first, 10, (), 20.0, 60.0, policy)  # type: ignore[arg-type]
        for worker, first in zip(lost, range(0, 100, 10), strict=False)
    )
    run.view = RunView("r1", "completed", False, "", "", policy, 0.0, 60.0, (), gaps)
    return run


@pytest.mark.parametrize(
    ("policy", "lost", "beyond"),
    [
        ("fail", (), 0),
        ("fail", ("w1",), 1),
        ("fail", ("w1", "w1", "w2"), 2),  # one gap per lost assignment: workers counted once
        ("rebalance", ("w1",), 0),
        ("continue", ("w1", "w2"), 0),
    ],
)
def test_only_a_loss_the_policy_does_not_cover_counts(
    policy: str, lost: tuple[str, ...], beyond: int
) -> None:
    assert _followed(policy, lost).lost_beyond_policy() == beyond
