"""Messages <-> domain types: round trips, and what a peer may not send."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from botruntime.cluster import Assignment, HealthSample, ShareLevel
from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._types import AssignCommand, DrainCommand, StopCommand
from botruntime.cluster._wire import (
    CommandDecoder,
    capacity_from_pb,
    command_to_pb,
    health_from_pb,
    health_to_pb,
)
from botruntime.plan import PlanSource, Target

SOURCE = PlanSource(
    "id: x\n",
    "smoke",
    "9",
    Target(("http://127.0.0.1:1",), (), "http://127.0.0.1:2", True),
    "r",
    ("mempool_drop",),
    "x.yaml",
)
ASSIGNMENT = Assignment(
    run_id="r", assignment_id="r/a1", source=SOURCE, plan_fingerprint=SOURCE.fingerprint(),
    bot_first=40, bot_count=7,
    share=(ShareLevel(1, (3, 7)), ShareLevel(0, (2, 2))), plan_from_s=12.5,
    resync_nonces=True, start_at_unix_s=1_700_000_000.25,
)  # fmt: skip


def _decode(messages: list[pb.CoordinatorCommand]) -> list[object]:
    decoder = CommandDecoder()
    return [c for m in messages if (c := decoder.feed(m)) is not None]


def test_an_assignment_survives_the_wire_whole() -> None:
    messages = command_to_pb(AssignCommand(ASSIGNMENT))
    assert [m.WhichOneof("kind") for m in messages] == ["assign", "start"]
    assert _decode(messages) == [AssignCommand(ASSIGNMENT)]


def test_c_tx_travels_with_the_assignment_and_an_unset_one_stays_unset() -> None:
    sized = replace(ASSIGNMENT, source=replace(SOURCE, capacity_tx_per_s=140.0))
    assert _decode(command_to_pb(AssignCommand(sized))) == [AssignCommand(sized)]
    (assign, _) = command_to_pb(AssignCommand(ASSIGNMENT))
    assert not assign.assign.HasField("capacity_tx_per_s")
    assert capacity_from_pb(assign.assign, "AssignBots") is None


def test_a_c_tx_that_is_not_positive_is_a_violation() -> None:
    request = pb.DistributeScenarioRequest(capacity_tx_per_s=0.0)
    with pytest.raises(ProtocolViolation, match="capacity_tx_per_s"):
        capacity_from_pb(request, "DistributeScenarioRequest")


def test_other_commands_round_trip() -> None:
    commands = [StopCommand("r", "", "user"), DrainCommand("bye")]
    assert _decode([m for c in commands for m in command_to_pb(c)]) == commands


def test_a_start_without_its_assignment_is_a_violation() -> None:
    (_, start) = command_to_pb(AssignCommand(ASSIGNMENT))
    with pytest.raises(ProtocolViolation, match="without its AssignBots"):
        CommandDecoder().feed(start)
    with pytest.raises(ProtocolViolation, match="no command"):
        CommandDecoder().feed(pb.CoordinatorCommand())


def test_a_share_index_outside_its_weights_is_a_violation() -> None:
    assign, start = command_to_pb(AssignCommand(ASSIGNMENT))
    assign.assign.share[0].index = 5
    decoder = CommandDecoder()
    decoder.feed(assign)
    with pytest.raises(ProtocolViolation, match=r"share\[0\]"):
        decoder.feed(start)


def test_health_round_trips_and_nan_is_refused() -> None:
    health = HealthSample(3, 1_700_000_000.5, 1.5, 2.5, 37.0, 123456, 4, 40)
    assert health_from_pb(health_to_pb(health)) == health
    broken = health_to_pb(health)
    broken.cpu_percent = math.nan
    with pytest.raises(ProtocolViolation, match="cpu_percent"):
        health_from_pb(broken)
