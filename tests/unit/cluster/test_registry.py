"""Liveness judged by heartbeats alone, on the default settings, with an injected clock."""

from __future__ import annotations

import pytest

from botruntime.cluster import ClusterConfigError, HealthSample, Liveness, LivenessConfig
from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._registry import WorkerRegistry


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _beat(seq: int) -> HealthSample:
    return HealthSample(seq, 0.0, 0.0, 0.0, 1.0, 1, 0, 0)


def test_defaults_are_the_designed_ones() -> None:
    config = LivenessConfig()
    assert (config.heartbeat_interval_s, config.suspect_after_missed) == (1.0, 3)
    assert (config.lost_after_s, config.dead_man_s) == (5.0, 10.0)


def test_suspect_after_three_missed_heartbeats_and_lost_after_five_seconds() -> None:
    clock = Clock()
    registry = WorkerRegistry(LivenessConfig(), clock)
    worker = registry.register("w", 10)
    registry.open_session(worker.worker_id, worker.session_key)
    clock.now += 2.99
    assert registry.sweep() == [] and worker.liveness is Liveness.ALIVE
    clock.now += 0.01
    (change,) = registry.sweep()
    assert (change.before, change.after) == (Liveness.ALIVE, Liveness.SUSPECT)
    assert registry.alive() == []  # a suspect gets no new bots
    registry.heartbeat(worker.worker_id, _beat(1))  # back in time: alive again
    assert worker.liveness is Liveness.ALIVE and registry.alive() == [worker]
    clock.now += 4.99
    registry.sweep()
    assert worker.liveness is Liveness.SUSPECT
    clock.now += 0.01
    (change,) = registry.sweep()
    assert change.after is Liveness.LOST and not worker.connected


def test_lost_is_final_the_worker_must_register_again() -> None:
    clock = Clock()
    registry = WorkerRegistry(LivenessConfig(), clock)
    worker = registry.register("w", 10)
    clock.now += 5.0
    registry.sweep()
    with pytest.raises(ProtocolViolation, match="register again"):
        registry.heartbeat(worker.worker_id, _beat(1))
    with pytest.raises(ProtocolViolation, match="register again"):
        registry.open_session(worker.worker_id, worker.session_key)


def test_a_session_needs_the_key_of_its_registration() -> None:
    registry = WorkerRegistry(LivenessConfig(), Clock())
    worker = registry.register("w", 10)
    with pytest.raises(ProtocolViolation):
        registry.open_session(worker.worker_id, b"not the key")
    with pytest.raises(ProtocolViolation):
        registry.open_session("w999", worker.session_key)
    with pytest.raises(ProtocolViolation, match="capacity_bots"):
        registry.register("empty", 0)


@pytest.mark.parametrize(
    ("interval", "missed", "lost", "dead"),
    [(1.0, 5, 5.0, 10.0), (1.0, 3, 12.0, 10.0), (0, 3, 5, 10)],
)
def test_inconsistent_liveness_settings_are_refused(
    interval: float, missed: int, lost: float, dead: float
) -> None:
    with pytest.raises(ClusterConfigError, match="lost_after_s"):
        LivenessConfig(interval, missed, lost, dead)
