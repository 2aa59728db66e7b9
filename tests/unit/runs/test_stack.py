"""What a run starts is recorded in its folder and stopped by PID from any process; a handle
never stops a process that merely reuses a recorded PID."""

import dataclasses
import sys
from pathlib import Path

import pytest

from botruntime.local import spawn
from botruntime.runs import RunError, stop_stack
from botruntime.runs._stack import Stack

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def test_a_recorded_stack_is_stopped_by_its_folder(tmp_path: Path) -> None:
    simnet = spawn("simnet", SLEEPER, tmp_path / "simnet.log")
    worker = spawn("worker-0", SLEEPER, tmp_path / "worker-0.log")
    try:
        Stack(simnet=simnet, workers=(worker,)).save(tmp_path)
        assert Stack.load(tmp_path) == Stack(simnet=simnet, workers=(worker,))
        assert stop_stack(tmp_path) and not simnet.alive() and not worker.alive()
        assert stop_stack(tmp_path)  # again: nothing left to stop, no error
    finally:
        Stack(simnet=simnet, workers=(worker,)).stop()


def test_the_embedded_coordinators_token_goes_with_it(tmp_path: Path) -> None:
    coordinator = spawn("coordinator", SLEEPER, tmp_path / "coordinator.log")
    token_file = tmp_path / "cluster.token"
    token_file.write_text("secret")
    stack = Stack(coordinator=coordinator, address="127.0.0.1:1", token_file=str(token_file))
    stack.save(tmp_path)
    assert stop_stack(tmp_path) and not coordinator.alive()
    assert not token_file.exists()
    assert stop_stack(tmp_path)  # again: no token, no error
    with pytest.raises(RunError, match="was stopped with the run"):
        stack.embedded()


def test_a_reused_pid_is_not_stopped(tmp_path: Path) -> None:
    child = spawn("simnet", SLEEPER, tmp_path / "simnet.log")
    try:
        stranger = dataclasses.replace(child, create_time=child.create_time - 100.0)
        Stack(simnet=stranger).stop()
        assert child.alive()
    finally:
        Stack(simnet=child).stop()
    assert not child.alive()


def test_a_folder_without_a_record_stops_nothing(tmp_path: Path) -> None:
    assert not stop_stack(tmp_path)
    (tmp_path / "stack.json").write_text("{not json")
    assert not stop_stack(tmp_path)
