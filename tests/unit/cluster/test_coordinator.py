"""The coordinator's logic without gRPC: commands on links, liveness and loss, with fake clocks."""

from __future__ import annotations

import pytest

from botruntime.cluster import (
    AssignmentOutcome,
    Coordinator,
    CoordinatorConfig,
    HealthSample,
    PlacementError,
    RunState,
    WorkerLossPolicy,
)
from botruntime.cluster._coordinator import WorkerLink
from botruntime.cluster._run import RunSpec
from botruntime.cluster._types import AckCommand, AssignCommand, Command, StopCommand
from botruntime.plan import PlanSource, Target


def _source(run_id: str) -> PlanSource:
    """A run no worker compiles: these tests never reach a runner."""
    return PlanSource("", "smoke", "1", Target(), run_id)


class Clocks:
    def __init__(self) -> None:
        self.t = 0.0

    def mono(self) -> float:
        return self.t

    def wall(self) -> float:
        return 1_000.0 + self.t


def _drain(link: WorkerLink) -> list[Command]:
    out = []
    while not link.outbox.empty():
        command = link.outbox.get_nowait()
        assert command is not None
        out.append(command)
    return out


def _cluster(policy: WorkerLossPolicy) -> tuple[Coordinator, Clocks, list[WorkerLink], str]:
    clocks = Clocks()
    coordinator = Coordinator(
        CoordinatorConfig(start_delay_s=1.0), clock=clocks.mono, wall=clocks.wall
    )
    links = []
    for capacity in (100, 100, 200):
        record = coordinator.register(f"cap{capacity}", capacity)
        links.append(coordinator.attach(record.worker_id, record.session_key))
    spec = RunSpec("r", _source("r"), 40, policy, 20.0)
    run = coordinator.distribute(spec, min_workers=3)
    return coordinator, clocks, links, run.run_id


def _beat(coordinator: Coordinator, links: list[WorkerLink], seq: int) -> None:
    for link in links:
        coordinator.on_heartbeat(link, HealthSample(seq, 0, 0, 0, 1, 1, 0, 10))


def test_distribute_sends_contiguous_ranges_by_capacity_with_one_start_time() -> None:
    coordinator, _, links, _run_id = _cluster("fail")
    sent = [_drain(link) for link in links]
    assignments = [
        c.assignment for commands in sent for c in commands if isinstance(c, AssignCommand)
    ]
    assert [(a.bot_first, a.bot_count) for a in assignments] == [(0, 10), (10, 10), (20, 20)]
    assert {a.start_at_unix_s for a in assignments} == {1_001.0}
    assert [a.share[0].index for a in assignments] == [0, 1, 2]
    assert {a.share[0].weights for a in assignments} == {(10, 10, 20)}
    _beat(coordinator, links, 1)
    assert [_drain(link) for link in links] == [[AckCommand(1)]] * 3
    with pytest.raises(PlacementError, match="start more workers"):
        coordinator.distribute(RunSpec("r2", _source("r2"), 1000, "fail", 5.0))


def test_a_lost_worker_under_rebalance_hands_its_bots_to_the_survivors() -> None:
    coordinator, clocks, links, run_id = _cluster("rebalance")
    for link in links:
        _drain(link)
    for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0):
        clocks.t = t
        _beat(coordinator, [links[0], links[2]], int(t))
        coordinator.tick()
    run = coordinator.run(run_id)  # lost at 5 s, fenced at 10 s: its last beat + dead-man
    assert run.state is RunState.RUNNING
    lost = links[1].worker_id
    assert [str(r.outcome) for r in run.assignments.values() if r.worker_id == lost] == ["lost"]
    moved = [
        c.assignment
        for link in (links[0], links[2])
        for c in _drain(link)
        if isinstance(c, AssignCommand)
    ]
    assert sorted((a.bot_first, a.bot_count) for a in moved) == [(10, 3), (13, 7)]
    assert all(a.resync_nonces and len(a.share) == 2 for a in moved)
    (gap,) = run.gaps
    assert gap.worker_id == lost and gap.policy == "rebalance"


def test_a_lost_worker_under_fail_stops_the_run_inconclusive() -> None:
    coordinator, clocks, links, run_id = _cluster("fail")
    for link in links:
        _drain(link)
    clocks.t = 5.0
    coordinator.tick()  # nobody sent a heartbeat: all three are lost
    run = coordinator.run(run_id)
    assert run.forced_verdict == "INCONCLUSIVE"
    assert run.state is RunState.ABORTED  # nobody left to wait for
    assert len(run.gaps) == 3


def test_stop_commands_go_to_every_worker_and_results_end_the_run() -> None:
    coordinator, clocks, links, run_id = _cluster("continue")
    clocks.t = 1.5
    coordinator.tick()
    for link in links:
        _drain(link)
    coordinator._stop(coordinator.run(run_id), "user", abort=False)
    assert [_drain(link) for link in links] == [[StopCommand(run_id, "", "user")]] * 3
    for link, record in zip(links, coordinator.run(run_id).assignments.values(), strict=True):
        coordinator.on_done(
            link, run_id, record.assignment.assignment_id, AssignmentOutcome.STOPPED, {}, ""
        )
    assert coordinator.run(run_id).state is RunState.STOPPED


def test_a_worker_that_leaves_on_its_own_is_handled_by_the_policy() -> None:
    coordinator, clocks, links, run_id = _cluster("continue")
    clocks.t = 1.5
    coordinator.tick()
    coordinator.detach(links[2])
    coordinator.on_closed(links[2])  # e.g. SIGTERM on the worker: its bots are gone
    run = coordinator.run(run_id)
    assert run.degraded and [g.worker_id for g in run.gaps] == [links[2].worker_id]
    assert coordinator.registry.get(links[2].worker_id).liveness == "gone"
    assert run.state is RunState.RUNNING
