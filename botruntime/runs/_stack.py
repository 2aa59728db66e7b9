"""What a run starts for itself, as values: its simnet, and an embedded coordinator with its
workers. Every process is a `ChildHandle`, so whichever process holds the `Stack` (the next
Dagster op, a failure hook, `testbots run`) can stop them all by PID.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from botruntime.local import ChildHandle, spawn, stop_child, wait_for_line
from botruntime.runs._errors import RunError
from botruntime.runs._executors import CoordinatorAddress

__all__ = ["STACK_FILE", "Stack", "start_cluster", "stop_stack"]

STACK_FILE: Final = "stack.json"  # in the run's folder: what a reaper stops if nothing else did

_START_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Stack:
    """The children of one run (none for a real network and an external coordinator)."""

    simnet: ChildHandle | None = None
    coordinator: ChildHandle | None = None
    workers: tuple[ChildHandle, ...] = ()
    address: str = ""  # the embedded coordinator's HOST:PORT
    token_file: str = ""  # its token, readable by this user only

    def embedded(self) -> CoordinatorAddress | None:
        """The embedded coordinator and its token, if this run started one."""
        if not self.address:
            return None
        try:
            token = Path(self.token_file).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise RunError(
                f"the run's coordinator at {self.address} was stopped with the run (its token "
                "is gone): start a new run"
            ) from None
        return CoordinatorAddress(self.address, token)

    def save(self, run_dir: Path) -> None:
        """Record the children in the run's folder, so any process can stop them later."""
        record = {
            "simnet": _handle_json(self.simnet),
            "coordinator": _handle_json(self.coordinator),
            "workers": [_handle_json(w) for w in self.workers],
            "address": self.address,
            "token_file": self.token_file,
        }
        tmp = run_dir / (STACK_FILE + ".tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        os.replace(tmp, run_dir / STACK_FILE)

    @classmethod
    def load(cls, run_dir: Path) -> Stack | None:
        """The children a run recorded, or None if it recorded none (or the record is bad)."""
        try:
            record = json.loads((run_dir / STACK_FILE).read_text(encoding="utf-8"))
            return cls(
                simnet=_handle(record["simnet"]),
                coordinator=_handle(record["coordinator"]),
                workers=tuple(h for w in record["workers"] if (h := _handle(w)) is not None),
                address=str(record["address"]),
                token_file=str(record["token_file"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def stop(self) -> None:
        """Workers first (their bots stop), then the coordinator, then the network; the
        coordinator's token goes with it (a run's folder keeps no secret)."""
        for worker in self.workers:
            stop_child(worker)
        if self.coordinator is not None:
            stop_child(self.coordinator)
        if self.token_file:
            Path(self.token_file).unlink(missing_ok=True)
        if self.simnet is not None:
            stop_child(self.simnet)


def start_cluster(
    stack: Stack, run_dir: Path, workers: int, metrics_listen: str | None = None
) -> Stack:
    """A coordinator on a free loopback port and `workers` workers dialling it; with
    `metrics_listen`, the coordinator serves Prometheus /metrics there."""
    token = secrets.token_hex(16)
    token_file = run_dir / "cluster.token"
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token)
    testbots = str(Path(sys.executable).parent / "testbots")
    env = {"TESTBOTS_TOKEN": token}
    coordinator = spawn(
        "coordinator",
        [
            testbots,
            "coordinator",
            "--listen",
            "127.0.0.1:0",
            *(("--metrics-listen", metrics_listen) if metrics_listen else ()),
        ],
        run_dir / "coordinator.log",
        env=env,
    )
    stack = replace(stack, coordinator=coordinator, token_file=str(token_file))
    try:
        ready = wait_for_line(
            coordinator, r"coordinator ready on (\S+)", timeout_s=_START_TIMEOUT_S
        )
        stack = replace(stack, address=ready.group(1))
        started = [
            spawn(
                f"worker-{i}",
                [testbots, "worker", "--coordinator", stack.address, "--name", f"w{i}"],
                run_dir / f"worker-{i}.log",
                env=env,
            )
            for i in range(workers)
        ]
        return replace(stack, workers=tuple(started))
    except BaseException:
        stack.stop()
        raise


def stop_stack(run_dir: Path) -> bool:
    """Stop whatever the run in `run_dir` recorded starting; True if it recorded anything.
    Safe to call any number of times, from any process (a stopped child is skipped)."""
    stack = Stack.load(run_dir)
    if stack is None:
        return False
    stack.stop()
    return True


def _handle_json(handle: ChildHandle | None) -> dict[str, object] | None:
    return None if handle is None else dataclasses.asdict(handle)


def _handle(raw: object) -> ChildHandle | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise TypeError("a child handle is an object")
    return ChildHandle(
        name=str(raw["name"]),
        pid=int(raw["pid"]),
        create_time=float(raw["create_time"]),
        log_path=str(raw["log_path"]),
        out_path=str(raw.get("out_path", "")),
    )
