"""Protobuf messages <-> domain types: the one place that knows both.

Everything a peer sends is checked here; a value that cannot be right (a share index outside its
weights, a NaN lag, an unknown enum) raises ProtocolViolation naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._types import (
    AbortCommand,
    AckCommand,
    AssignCommand,
    Assignment,
    AssignmentOutcome,
    Command,
    DrainCommand,
    HealthSample,
    LoadGap,
    ShareLevel,
    StopCommand,
    WorkerLossPolicy,
)
from botruntime.plan import PlanSource, Target, TargetInvalid

__all__ = [
    "CLUSTER_PROTOCOL",
    "CommandDecoder",
    "assignment_from_pb",
    "assignment_to_pb",
    "capacity_from_pb",
    "command_to_pb",
    "gap_to_pb",
    "health_from_pb",
    "health_to_pb",
    "outcome_from_pb",
    "outcome_to_pb",
    "policy_from_pb",
    "policy_to_pb",
    "share_from_pb",
    "share_to_pb",
]

# What worker and coordinator must agree on, numbered; a coordinator refuses another number
# at registration. 2: MetricDelta.payload is a packed delta (botruntime/metrics/_packed.py),
# not JSON.
CLUSTER_PROTOCOL: Final = 2

_US = 1_000_000

_POLICIES: dict[pb.WorkerLossPolicy, WorkerLossPolicy] = {
    pb.WORKER_LOSS_POLICY_FAIL: "fail",
    pb.WORKER_LOSS_POLICY_REBALANCE: "rebalance",
    pb.WORKER_LOSS_POLICY_CONTINUE: "continue",
}
_OUTCOMES: dict[pb.AssignmentOutcome, AssignmentOutcome] = {
    pb.ASSIGNMENT_OUTCOME_COMPLETED: AssignmentOutcome.COMPLETED,
    pb.ASSIGNMENT_OUTCOME_STOPPED: AssignmentOutcome.STOPPED,
    pb.ASSIGNMENT_OUTCOME_FAILED: AssignmentOutcome.FAILED,
    pb.ASSIGNMENT_OUTCOME_LOST: AssignmentOutcome.LOST,
}


def _finite(value: float, name: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise ProtocolViolation(f"{name}={value} must be a finite number >= 0")
    return value


def policy_from_pb(value: int) -> WorkerLossPolicy:
    for number, policy in _POLICIES.items():
        if number == value:
            return policy
    raise ProtocolViolation(
        "on_worker_loss is unset or unknown: choose fail, rebalance or continue"
    )


def policy_to_pb(policy: WorkerLossPolicy) -> pb.WorkerLossPolicy:
    for number, known in _POLICIES.items():
        if known == policy:
            return number
    raise ValueError(f"unknown policy {policy!r}")


def outcome_from_pb(value: int) -> AssignmentOutcome:
    for number, outcome in _OUTCOMES.items():
        if number == value:
            return outcome
    raise ProtocolViolation(f"AssignmentDone.outcome={value} is not a known outcome")


def outcome_to_pb(outcome: AssignmentOutcome | None) -> pb.AssignmentOutcome:
    for number, known in _OUTCOMES.items():
        if known is outcome:
            return number
    return pb.ASSIGNMENT_OUTCOME_UNSPECIFIED


def share_from_pb(levels: Iterable[pb.ShareLevel]) -> tuple[ShareLevel, ...]:
    out = []
    for i, level in enumerate(levels):
        weights = tuple(int(w) for w in level.weights)
        try:
            out.append(ShareLevel(level.index, weights))
        except ValueError as exc:
            raise ProtocolViolation(f"share[{i}]: {exc}") from None
    return tuple(out)


def target_from_pb(items: Sequence[str]) -> Target:
    try:
        return Target.from_wire(items)
    except TargetInvalid as exc:
        raise ProtocolViolation(str(exc)) from None


def capacity_from_pb(
    message: pb.AssignBots | pb.DistributeScenarioRequest, what: str
) -> float | None:
    """The C_tx a run's source carries, or None when the field is unset."""
    if not message.HasField("capacity_tx_per_s"):
        return None
    value = _finite(message.capacity_tx_per_s, "capacity_tx_per_s")
    if value <= 0:
        raise ProtocolViolation(f"{what}.capacity_tx_per_s is {value}: C_tx is positive")
    return value


def share_to_pb(share: Sequence[ShareLevel]) -> list[pb.ShareLevel]:
    return [pb.ShareLevel(index=s.index, weights=list(s.weights)) for s in share]


def assignment_to_pb(a: Assignment) -> tuple[pb.AssignBots, pb.StartPlan]:
    assign = pb.AssignBots(
        run_id=a.run_id,
        assignment_id=a.assignment_id,
        scenario_yaml=a.source.scenario_yaml,
        size=a.source.size,
        seed=a.source.seed,
        targets=list(a.source.target.wire()),
        switches=list(a.source.switches),
        scenario_name=a.source.scenario_name,
        plan_fingerprint=a.plan_fingerprint,
        capacity_tx_per_s=a.source.capacity_tx_per_s,
        bot_first=a.bot_first,
        bot_count=a.bot_count,
        share=share_to_pb(a.share),
        plan_from_s=a.plan_from_s,
        resync_nonces=a.resync_nonces,
    )
    start = pb.StartPlan(
        run_id=a.run_id,
        assignment_id=a.assignment_id,
        start_at_unix_us=round(a.start_at_unix_s * _US),
    )
    return assign, start


def assignment_from_pb(assign: pb.AssignBots, start: pb.StartPlan) -> Assignment:
    if not assign.run_id or not assign.assignment_id:
        raise ProtocolViolation("AssignBots needs run_id and assignment_id")
    if (start.run_id, start.assignment_id) != (assign.run_id, assign.assignment_id):
        raise ProtocolViolation(
            f"StartPlan for {start.assignment_id!r} does not follow its AssignBots"
        )
    if start.start_at_unix_us == 0:
        raise ProtocolViolation("StartPlan.start_at_unix_us is 0: the plan needs a start time")
    return Assignment(
        run_id=assign.run_id,
        assignment_id=assign.assignment_id,
        source=PlanSource(
            scenario_yaml=assign.scenario_yaml,
            size=assign.size,
            seed=assign.seed,
            target=target_from_pb(assign.targets),
            run_id=assign.run_id,
            switches=tuple(assign.switches),
            scenario_name=assign.scenario_name or "scenario.yaml",
            capacity_tx_per_s=capacity_from_pb(assign, "AssignBots"),
        ),
        plan_fingerprint=assign.plan_fingerprint,
        bot_first=assign.bot_first,
        bot_count=assign.bot_count,
        share=share_from_pb(assign.share),
        plan_from_s=_finite(assign.plan_from_s, "plan_from_s"),
        resync_nonces=assign.resync_nonces,
        start_at_unix_s=start.start_at_unix_us / _US,
    )


def health_to_pb(h: HealthSample) -> pb.Heartbeat:
    return pb.Heartbeat(
        seq=h.seq,
        sent_at_unix_us=round(h.sent_at_unix_s * _US),
        schedule_lag_ms=h.schedule_lag_ms,
        loop_lag_ms=h.loop_lag_ms,
        cpu_percent=h.cpu_percent,
        rss_bytes=h.rss_bytes,
        in_flight=h.in_flight,
        bots_running=h.bots_running,
    )


def health_from_pb(m: pb.Heartbeat) -> HealthSample:
    return HealthSample(
        seq=m.seq,
        sent_at_unix_s=m.sent_at_unix_us / _US,
        schedule_lag_ms=_finite(m.schedule_lag_ms, "heartbeat.schedule_lag_ms"),
        loop_lag_ms=_finite(m.loop_lag_ms, "heartbeat.loop_lag_ms"),
        cpu_percent=_finite(m.cpu_percent, "heartbeat.cpu_percent"),
        rss_bytes=m.rss_bytes,
        in_flight=m.in_flight,
        bots_running=m.bots_running,
    )


def gap_to_pb(g: LoadGap) -> pb.LoadGap:
    return pb.LoadGap(
        worker_id=g.worker_id,
        bot_first=g.bot_first,
        bot_count=g.bot_count,
        share=share_to_pb(g.share),
        from_s=g.from_s,
        to_s=g.to_s,
        policy=g.policy,
    )


def command_to_pb(command: Command) -> list[pb.CoordinatorCommand]:
    """One domain command as the messages that carry it (an assignment is two)."""
    match command:
        case AssignCommand(assignment=a):
            assign, start = assignment_to_pb(a)
            return [pb.CoordinatorCommand(assign=assign), pb.CoordinatorCommand(start=start)]
        case StopCommand(run_id=run_id, assignment_id=assignment_id, reason=reason):
            stop = pb.StopBots(run_id=run_id, assignment_id=assignment_id, reason=reason)
            return [pb.CoordinatorCommand(stop=stop)]
        case DrainCommand(reason=reason):
            return [pb.CoordinatorCommand(drain=pb.Drain(reason=reason))]
        case AbortCommand(run_id=run_id, reason=reason):
            return [pb.CoordinatorCommand(abort=pb.Abort(run_id=run_id, reason=reason))]
        case AckCommand(seq=seq):
            return [pb.CoordinatorCommand(ack=pb.HeartbeatAck(seq=seq))]


class CommandDecoder:
    """The worker's side: messages in, domain commands out (AssignBots waits for its StartPlan)."""

    def __init__(self) -> None:
        self._pending: dict[str, pb.AssignBots] = {}

    def feed(self, message: pb.CoordinatorCommand) -> Command | None:
        kind = message.WhichOneof("kind")
        if kind == "assign":
            if message.assign.assignment_id in self._pending:
                raise ProtocolViolation(f"AssignBots {message.assign.assignment_id} sent twice")
            self._pending[message.assign.assignment_id] = message.assign
            return None
        if kind == "start":
            assign = self._pending.pop(message.start.assignment_id, None)
            if assign is None:
                raise ProtocolViolation(
                    f"StartPlan for {message.start.assignment_id!r} without its AssignBots"
                )
            return AssignCommand(assignment_from_pb(assign, message.start))
        if kind == "stop":
            m = message.stop
            return StopCommand(m.run_id, m.assignment_id, m.reason)
        if kind == "drain":
            return DrainCommand(message.drain.reason)
        if kind == "abort":
            return AbortCommand(message.abort.run_id, message.abort.reason)
        if kind == "ack":
            return AckCommand(message.ack.seq)
        raise ProtocolViolation("a CoordinatorCommand with no command in it")
