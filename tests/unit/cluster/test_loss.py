"""The on_worker_loss policies, and that a rebalance re-splits exactly the lost remainder."""

from __future__ import annotations

import itertools

from botruntime.cluster import Assignment, LoadGap, ShareLevel, WorkerLossPolicy
from botruntime.cluster._loss import decide
from botruntime.cluster._placement import WorkerRoom
from botruntime.cluster._run import AssignmentRecord, Run, RunSpec
from botruntime.load import Share, Stage, ramping
from botruntime.plan import PlanSource, RolePlan, Target

PLAN = ramping([Stage("ramp", 2, 40), Stage("hold", 10, 40), Stage("drain", 2)])
WEIGHTS = (10, 10, 10)
ROLE = RolePlan("user", "legitimate", range(30), ("send_ax",), (1,), PLAN, 1, frozenset())


def _share(levels: tuple[ShareLevel, ...], from_s: float) -> Share:
    share = ROLE.share_of(30, levels, from_s)
    assert isinstance(share, Share)
    return share


def _gap(gap: LoadGap) -> Share:
    return _share(gap.share, gap.from_s).before(gap.to_s)


def _source(run_id: str) -> PlanSource:
    """A run no worker compiles: these tests never reach a runner."""
    return PlanSource("", "smoke", "1", Target(), run_id)


def _run(policy: WorkerLossPolicy) -> tuple[Run, AssignmentRecord]:
    run = Run(RunSpec("r", _source("r"), 30, policy, 14.0), 0.0)
    for i in range(3):
        a = Assignment(
            "r", f"r/a{i}", _source("r"), "", 10 * i, 10,
            (ShareLevel(i, WEIGHTS),), 0.0, False, 0.0,
        )  # fmt: skip
        run.add(AssignmentRecord(a, f"w{i}"))
    lost = run.assignments["r/a1"]
    lost.reported_until_s = 4.0  # its deltas covered the plan up to 4 s
    return run, lost


ROOMS = [WorkerRoom("w0", 20), WorkerRoom("w2", 20)]
_ids = itertools.count()


def _decide(policy: WorkerLossPolicy, resume_s: float = 6.0):  # type: ignore[no-untyped-def]
    run, lost = _run(policy)
    return lost, decide(
        run, [lost], resume_s=resume_s, rooms=ROOMS, new_id=lambda: f"n{next(_ids)}"
    )


def test_fail_aborts_and_records_the_gap_to_now() -> None:
    _, decision = _decide("fail")
    assert decision.action == "abort" and decision.new_assignments == ()
    (gap,) = decision.gaps
    assert (gap.from_s, gap.to_s, gap.policy, gap.bot_first) == (4.0, 6.0, "fail", 10)


def test_continue_goes_on_with_the_gap_to_the_plan_end() -> None:
    _, decision = _decide("continue")
    assert decision.action == "continue"
    (gap,) = decision.gaps
    assert (gap.from_s, gap.to_s) == (4.0, 14.0)


def test_rebalance_rederives_the_same_bots_on_survivors_with_nonces_resynced() -> None:
    lost, decision = _decide("rebalance")
    assert decision.action == "rebalance"
    moved = decision.new_assignments
    assert [(m.worker_id, m.assignment.bot_first, m.assignment.bot_count) for m in moved] == [
        ("w0", 10, 5),
        ("w2", 15, 5),
    ]
    assert all(m.assignment.resync_nonces and m.assignment.plan_from_s == 6.0 for m in moved)
    (gap,) = decision.gaps
    assert (gap.from_s, gap.to_s) == (4.0, 6.0)
    # the survivors' new shares plus the gap are exactly the lost share from its last delta on
    lost_rest = {i for i, _ in _share(lost.assignment.share, 4.0).arrivals()}
    taken = [
        {i for i, _ in _share(m.assignment.share, m.assignment.plan_from_s).arrivals()}
        for m in moved
    ]
    in_gap = {i for i, _ in _gap(gap).arrivals()}
    assert taken[0].isdisjoint(taken[1]) and in_gap.isdisjoint(taken[0] | taken[1])
    assert taken[0] | taken[1] | in_gap == lost_rest
    assert len(in_gap) > 0 and all(len(t) > 0 for t in taken)


def test_rebalance_without_room_falls_back_to_degraded() -> None:
    run, lost = _run("rebalance")
    decision = decide(run, [lost], resume_s=6.0, rooms=[WorkerRoom("w0", 3)], new_id=lambda: "x")
    assert decision.action == "continue" and "cannot be rebalanced" in decision.reason
    assert decision.gaps[0].to_s == 14.0


def test_a_loss_after_the_plan_ended_moves_nothing() -> None:
    _, decision = _decide("rebalance", resume_s=20.0)
    assert decision.action == "continue" and decision.new_assignments == ()
