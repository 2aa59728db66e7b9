"""What a run does when a worker holding its bots is lost: the `on_worker_loss` policy.

- `fail`: the experiment is broken: stop every bot, the run ends aborted and INCONCLUSIVE.
- `rebalance`: the lost bots are re-derived on the survivors (same indices, so the same keys;
  nonces resynced from the chain before their first action) and the lost plan share is split
  again over them from `resume_s` on.
- `continue`: the run goes on degraded without that share.

Every policy records the load gap [from_s, to_s) of the lost share: from the end of the last
metric delta that arrived from it (what it offered after that is unknown, so it counts as not
offered) to the moment survivors take over, or the plan's end. The merged metrics plus the
gaps therefore account for every arrival of the plan exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from botruntime.cluster._errors import PlacementError
from botruntime.cluster._placement import WorkerRoom, place
from botruntime.cluster._run import AssignmentRecord, Run
from botruntime.cluster._types import LoadGap, ShareLevel

__all__ = ["LossDecision", "decide"]


@dataclass(frozen=True, slots=True)
class LossDecision:
    action: Literal["abort", "rebalance", "continue"]
    reason: str
    gaps: tuple[LoadGap, ...]
    new_assignments: tuple[AssignmentRecord, ...] = ()
    notes: tuple[str, ...] = field(default=())


def decide(
    run: Run,
    lost: Sequence[AssignmentRecord],
    *,
    resume_s: float,
    rooms: Sequence[WorkerRoom],
    new_id: Callable[[], str],
) -> LossDecision:
    """Decide for the open assignments `lost` of one worker; rebalanced bots start at plan
    offset `resume_s`."""
    policy = run.spec.policy
    end_s = run.spec.plan_duration_s
    worker = lost[0].worker_id if lost else "?"

    def gap(record: AssignmentRecord, to_s: float) -> LoadGap:
        a = record.assignment
        start = min(max(record.reported_until_s, a.plan_from_s), end_s)
        return LoadGap(
            worker_id=record.worker_id,
            bot_first=a.bot_first,
            bot_count=a.bot_count,
            share=a.share,
            from_s=start,
            to_s=min(max(to_s, start), end_s),
            policy=policy,
        )

    if policy == "fail":
        return LossDecision(
            "abort",
            f"worker {worker} was lost and on_worker_loss is fail",
            tuple(gap(r, resume_s) for r in lost),
        )
    if policy == "continue" or resume_s >= end_s:
        return LossDecision(
            "continue",
            f"worker {worker} was lost; the run goes on without its share (degraded)",
            tuple(gap(r, end_s) for r in lost),
        )
    new: list[AssignmentRecord] = []
    for record in lost:
        a = record.assignment
        try:
            # a crew block's assignment moves in whole crews (its bus stays on one worker)
            slots = place(a.bot_count, a.bot_first, rooms, unit=run.spec.unit_at(a.bot_first))
        except PlacementError as exc:
            return LossDecision(
                "continue",
                f"worker {worker} was lost and its bots cannot be rebalanced ({exc}); "
                "the run goes on degraded",
                tuple(gap(r, end_s) for r in lost),
            )
        weights = tuple(s.bot_count for s in slots)
        for j, slot in enumerate(slots):
            moved = replace(
                a,
                assignment_id=new_id(),
                bot_first=slot.bot_first,
                bot_count=slot.bot_count,
                share=(*a.share, ShareLevel(j, weights)) if a.share else (),
                plan_from_s=max(resume_s, a.plan_from_s),
                resync_nonces=True,
            )
            new.append(AssignmentRecord(moved, slot.worker_id))
        rooms = _less(rooms, slots_used={s.worker_id: s.bot_count for s in slots})
    return LossDecision(
        "rebalance",
        f"worker {worker} was lost; its bots moved to {len({r.worker_id for r in new})} survivors",
        tuple(gap(r, resume_s) for r in lost),
        tuple(new),
    )


def _less(rooms: Sequence[WorkerRoom], slots_used: dict[str, int]) -> list[WorkerRoom]:
    return [WorkerRoom(r.worker_id, r.free_bots - slots_used.get(r.worker_id, 0)) for r in rooms]
