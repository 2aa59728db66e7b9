"""Fencing with injected clocks: a lost worker's bots move only once its epoch is dead, and
what a dead epoch still sends is ignored; the worker's lease lapses on its own clock."""

from __future__ import annotations

from botruntime.cluster import (
    AssignmentOutcome,
    Coordinator,
    CoordinatorConfig,
    HealthSample,
    LivenessConfig,
    RunState,
)
from botruntime.cluster._coordinator import WorkerLink
from botruntime.cluster._fence import Fence, Lease, MessageKind
from botruntime.cluster._run import RunSpec
from botruntime.cluster._types import AbortCommand, AssignCommand, Command
from botruntime.metrics import DeltaPacker, IntervalDelta
from botruntime.plan import PlanSource, Target

LIVENESS = LivenessConfig()  # the defaults: lost after 5 s, dead-man 10 s


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def wall(self) -> float:
        return 1_000.0 + self.t


def _drain(link: WorkerLink) -> list[Command]:
    out = []
    while not link.outbox.empty():
        command = link.outbox.get_nowait()
        if command is not None:
            out.append(command)
    return out


def _rebalanced_run() -> tuple[Coordinator, Clock, list[WorkerLink], str]:
    clock = Clock()
    coordinator = Coordinator(
        CoordinatorConfig(liveness=LIVENESS, start_delay_s=1.0), clock=clock, wall=clock.wall
    )
    links = []
    for name in ("a", "b", "c"):
        record = coordinator.register(name, 100)
        links.append(coordinator.attach(record.worker_id, record.session_key))
    source = PlanSource("", "smoke", "1", Target(), "r")
    coordinator.distribute(RunSpec("r", source, 30, "rebalance", 60.0), min_workers=3)
    for link in links:
        _drain(link)
    return coordinator, clock, links, "r"


def _beat(coordinator: Coordinator, links: list[WorkerLink], seq: int) -> None:
    for link in links:
        coordinator.on_heartbeat(link, HealthSample(seq, 0, 0, 0, 1, 1, 0, 10))


def _assigned(links: list[WorkerLink]) -> list[tuple[int, int]]:
    return sorted(
        (c.assignment.bot_first, c.assignment.bot_count)
        for link in links
        for c in _drain(link)
        if isinstance(c, AssignCommand)
    )


def _run_to_loss(coordinator: Coordinator, clock: Clock, links: list[WorkerLink]) -> None:
    """Worker b stays silent from 0 s; a and c beat every second until b is judged lost."""
    for t in range(1, 6):
        clock.t = float(t)
        _beat(coordinator, [links[0], links[2]], t)
        coordinator.tick()
    assert coordinator.registry.get(links[1].worker_id).liveness == "lost"


def test_records_carry_their_owners_epoch_and_a_new_registration_is_a_new_epoch() -> None:
    coordinator, _, links, run_id = _rebalanced_run()
    epochs = {link.worker_id: coordinator.registry.get(link.worker_id).epoch for link in links}
    assert sorted(epochs.values()) == [1, 2, 3]
    for record in coordinator.run(run_id).assignments.values():
        assert record.epoch == epochs[record.worker_id]
    assert coordinator.register("b-again", 100).epoch == 4


def test_a_lost_workers_bots_wait_until_its_lease_has_lapsed() -> None:
    coordinator, clock, links, run_id = _rebalanced_run()
    _run_to_loss(coordinator, clock, links)
    assert _drain(links[1]) == [
        AbortCommand("", f"worker {links[1].worker_id} was judged lost: epoch over")
    ]
    run = coordinator.run(run_id)
    for t in (6.0, 7.0, 8.0, 9.0, 9.9):  # lost, not yet fenced: nobody else holds its bots
        clock.t = t
        _beat(coordinator, [links[0], links[2]], int(t * 10))
        coordinator.tick()
        assert _assigned([links[0], links[2]]) == []
        assert run.state is RunState.RUNNING and run.gaps == []
    assert run.awaiting_fence()
    clock.t = 10.0  # its last heartbeat (0 s) + dead_man_s: its lease has lapsed
    coordinator.tick()
    assert _assigned([links[0], links[2]]) == [(10, 5), (15, 5)]
    assert not run.awaiting_fence()
    (gap,) = run.gaps
    assert gap.worker_id == links[1].worker_id
    assert gap.to_s == 10.0 + coordinator.config.resume_delay_s - 1.0  # plan offset of resume
    assert links[1].outbox.get_nowait() is None  # its Session is closed once fenced


def test_an_acknowledged_stop_fences_at_once_and_its_result_is_not_merged() -> None:
    coordinator, clock, links, run_id = _rebalanced_run()
    _run_to_loss(coordinator, clock, links)
    run = coordinator.run(run_id)
    [old] = [r for r in run.assignments.values() if r.worker_id == links[1].worker_id]
    clock.t = 5.5  # the frozen worker resumes, reads the Abort, stops and reports
    coordinator.on_done(
        links[1], run_id, old.assignment.assignment_id, AssignmentOutcome.STOPPED, {"x": 9}, ""
    )
    assert _assigned([links[0], links[2]]) == [(10, 5), (15, 5)]
    assert old.outcome is AssignmentOutcome.LOST and old.counters == {}
    assert [m.kind for m in coordinator.fenced_messages] == [MessageKind.RESULT]


def test_heartbeats_and_deltas_of_a_dead_epoch_are_ignored() -> None:
    coordinator, clock, links, run_id = _rebalanced_run()
    _run_to_loss(coordinator, clock, links)
    _drain(links[1])
    run = coordinator.run(run_id)
    [old] = [r for r in run.assignments.values() if r.worker_id == links[1].worker_id]
    version = run.version
    coordinator.on_heartbeat(links[1], HealthSample(99, 0, 0, 0, 1, 1, 0, 10))
    aid = old.assignment.assignment_id
    coordinator.on_delta(links[1], run_id, aid, 0, DeltaPacker().pack(IntervalDelta(aid, 3)))
    assert _drain(links[1]) == []  # no Ack: its lease is never renewed
    assert coordinator.registry.get(links[1].worker_id).liveness == "lost"
    assert run.version == version and old.next_seq == 0 and old.reported_until_s == 0.0
    kinds = [(m.worker_id, m.epoch, m.kind) for m in coordinator.fenced_messages]
    epoch = coordinator.registry.get(links[1].worker_id).epoch
    assert kinds == [
        (links[1].worker_id, epoch, MessageKind.HEARTBEAT),
        (links[1].worker_id, epoch, MessageKind.DELTA),
    ]


def test_under_fail_a_lost_worker_aborts_the_run_without_waiting_for_the_fence() -> None:
    clock = Clock()
    coordinator = Coordinator(CoordinatorConfig(start_delay_s=1.0), clock=clock, wall=clock.wall)
    record = coordinator.register("a", 100)
    coordinator.attach(record.worker_id, record.session_key)
    source = PlanSource("", "smoke", "1", Target(), "r")
    run = coordinator.distribute(RunSpec("r", source, 10, "fail", 60.0))
    clock.t = 5.0
    coordinator.tick()
    assert run.state is RunState.ABORTED and run.forced_verdict == "INCONCLUSIVE"


class TestLease:
    def test_a_lease_runs_from_the_registration_request(self) -> None:
        clock = Clock()
        lease = Lease(10.0, clock)
        assert not lease.valid() and lease.revoked  # nothing is sent before a registration
        clock.t = 1.0
        lease.begin(asked_at=0.5, term_s=10.0)
        assert lease.valid() and lease.remaining_s() == 9.5
        clock.t = 10.5
        assert not lease.valid()

    def test_an_ack_renews_from_when_the_heartbeat_was_sent_not_received(self) -> None:
        clock = Clock()
        lease = Lease(10.0, clock)
        lease.begin(0.0, 10.0)
        clock.t = 2.0
        lease.beat(1)
        clock.t = 3.0
        lease.beat(2)
        clock.t = 9.0  # a slow answer: the term counts from the beat's send, 2 s
        lease.ack(1)
        assert lease.remaining_s() == 3.0
        lease.ack(1)  # a repeated ack renews nothing
        assert lease.remaining_s() == 3.0
        clock.t = 12.0
        assert not lease.valid()
        lease.ack(2)  # the later beat: the term runs from 3 s
        assert lease.valid() and lease.remaining_s() == 1.0

    def test_a_process_frozen_past_its_term_cannot_revive_by_an_old_ack(self) -> None:
        clock = Clock()
        lease = Lease(3.0, clock)
        lease.begin(0.0, 3.0)
        clock.t = 1.0
        lease.beat(1)
        clock.t = 8.0  # frozen 7 s; the ack of the beat sent before the freeze is read now
        lease.ack(1)
        assert not lease.valid()

    def test_a_revoked_lease_ignores_acks_until_the_next_registration(self) -> None:
        clock = Clock()
        lease = Lease(10.0, clock)
        lease.begin(0.0, 10.0)
        lease.beat(1)
        lease.revoke("judged lost")
        lease.ack(1)
        lease.beat(2)
        lease.ack(2)
        assert not lease.valid() and lease.revoked == "judged lost"
        lease.begin(asked_at=0.0, term_s=10.0)
        assert lease.valid()


def test_a_fence_closes_on_every_acknowledgement_or_at_its_deadline() -> None:
    fence = Fence("w", 1, closes_at=10.0, waiting={"a1", "a2"})
    fence.acknowledge("a1")
    assert not fence.closed(9.9)
    assert fence.closed(10.0)
    fence.acknowledge("a2")
    assert fence.closed(0.0) and fence.acknowledged
