"""The run's state machine and its exact, de-duplicated metric merge."""

from __future__ import annotations

import pytest

from botruntime.cluster import Assignment, AssignmentOutcome, RunState, RunStateError, ShareLevel
from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._run import AssignmentRecord, Run, RunSpec
from botruntime.metrics import DeltaPacker, Recorder
from botruntime.plan import PlanSource, Target

START = 1_000.0


def _source(run_id: str) -> PlanSource:
    """A run no worker compiles: these tests never reach a runner."""
    return PlanSource("", "smoke", "1", Target(), run_id)


def _run(workers: int = 2, duration_s: float = 10.0) -> Run:
    spec = RunSpec("r1", _source("r1"), workers * 5, "fail", duration_s, 5.0)
    run = Run(spec, START)
    for i in range(workers):
        a = Assignment(
            "r1", f"r1/a{i}", _source("r"), "", i * 5, 5,
            (ShareLevel(i, (5,) * workers),), 0.0, False, START,
        )  # fmt: skip
        run.add(AssignmentRecord(a, f"w{i}"))
    return run


def _delta(source: str, interval: int, intents: int) -> bytes:
    recorder = Recorder(source=source)
    recorder.counter("n.intent", role="r").add(intents)
    return DeltaPacker().pack(recorder.flush(interval))  # as a worker sends it


def test_pending_until_the_common_start_then_completed_when_every_share_ends() -> None:
    run = _run()
    assert not run.settle(START - 0.1, 2.0) and run.state is RunState.PENDING
    assert run.settle(START, 2.0) and run.state is RunState.RUNNING
    run.finish("w0", "r1/a0", AssignmentOutcome.COMPLETED, {}, "")
    run.settle(START + 5, 2.0)
    assert run.state is RunState.RUNNING
    run.finish("w1", "r1/a1", AssignmentOutcome.COMPLETED, {}, "")
    run.settle(START + 5, 2.0)
    assert run.state is RunState.COMPLETED and run.forced_verdict == ""


def test_a_run_whose_workers_never_finish_ends_inconclusive() -> None:
    run = _run(duration_s=10.0)
    run.settle(START, 2.0)
    run.settle(START + 15.1, 2.0)  # plan 10 s + finish grace 5 s
    assert run.state is RunState.STOPPING and run.forced_verdict == "INCONCLUSIVE"
    run.settle(START + 17.2, 2.0)  # nobody answered the stop within the grace either
    assert run.state is RunState.ABORTED
    assert {str(r.outcome) for r in run.assignments.values()} == {"stopped"}


def test_a_stop_resolves_when_every_worker_answered() -> None:
    run = _run()
    run.settle(START, 2.0)
    run.begin_stop(START + 1, "user", abort=False)
    run.finish("w0", "r1/a0", AssignmentOutcome.STOPPED, {}, "")
    run.finish("w1", "r1/a1", AssignmentOutcome.STOPPED, {}, "")
    assert run.settle(START + 1.1, 2.0) and run.state is RunState.STOPPED
    assert run.forced_verdict == ""


@pytest.mark.parametrize(
    ("state", "to"),
    [
        (RunState.COMPLETED, RunState.RUNNING),
        (RunState.STOPPED, RunState.STOPPING),
        (RunState.STOPPING, RunState.RUNNING),
        (RunState.PENDING, RunState.COMPLETED),
    ],
)
def test_forbidden_transitions_are_refused(state: RunState, to: RunState) -> None:
    run = _run()
    run.state = state
    with pytest.raises(RunStateError, match=f"cannot become {to}"):
        run.transition(to)


def test_deltas_merge_exactly_once_and_only_from_their_owner() -> None:
    run = _run()
    run.ingest("w0", "r1/a0", 0, _delta("r1/a0", 0, 7))
    run.ingest("w1", "r1/a1", 0, _delta("r1/a1", 0, 5))
    run.ingest("w0", "r1/a0", 1, _delta("r1/a0", 1, 3))
    assert run.counters()["n.intent"] == 15
    assert run.assignments["r1/a0"].reported_until_s == 2.0
    run.ingest("w0", "r1/a0", 1, _delta("r1/a0", 1, 3))  # re-sent after a reconnect
    assert run.counters()["n.intent"] == 15 and run.notes == []
    with pytest.raises(ProtocolViolation, match="not an assignment of yours"):
        run.ingest("w1", "r1/a0", 2, _delta("r1/a0", 2, 1))
    with pytest.raises(ProtocolViolation, match="source=assignment_id"):
        run.ingest("w0", "r1/a0", 2, _delta("someone-else", 2, 1))
    with pytest.raises(ProtocolViolation, match="payload"):
        run.ingest("w0", "r1/a0", 2, b"{not json")
    json_delta = Recorder("r1/a0").flush(2).to_bytes()  # what a protocol-1 worker sent
    with pytest.raises(ProtocolViolation, match="same version on coordinator and workers"):
        run.ingest("w0", "r1/a0", 2, json_delta)
    assert run.counters()["n.intent"] == 15  # refused deltas changed nothing
    assert run.metrics.version == 3 and run.metrics.changed_since(0) == [0, 1]  # 3 merged
    run.ingest("w0", "r1/a0", 4, _delta("r1/a0", 4, 2))  # 2 and 3 died with a connection
    assert run.counters()["n.intent"] == 17
    assert run.notes == ["metrics of r1/a0: deltas 2..3 never arrived"]
