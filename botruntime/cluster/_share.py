"""An assignment's part of an arrival plan, with botruntime.load's exact share split.

Every runner (the synthetic one here, the real fleet) calls `plan_share`, so the shares the
coordinator hands out put back together are exactly the scenario's plan, and a lost worker's
remainder split over the survivors is exactly what it did not run.
"""

from __future__ import annotations

from collections.abc import Sequence

from botruntime.cluster._types import LoadGap, ShareLevel
from botruntime.load import ArrivalPlan, Share

__all__ = ["gap_share", "plan_share"]


def _nested(plan: ArrivalPlan | Share, levels: Sequence[ShareLevel]) -> Share:
    share = plan.whole() if isinstance(plan, ArrivalPlan) else plan
    for level in levels:
        share = share.split(level.weights)[level.index]
    return share


def plan_share(
    plan: ArrivalPlan | Share, levels: Sequence[ShareLevel], from_s: float = 0.0
) -> Share:
    """The arrivals of `plan` this assignment runs: its nested split, from `from_s` on."""
    return _nested(plan, levels).after(from_s)


def gap_share(plan: ArrivalPlan | Share, gap: LoadGap) -> Share:
    """The arrivals a lost worker's share did not offer: count them for the results."""
    return _nested(plan, gap.share).after(gap.from_s).before(gap.to_s)
