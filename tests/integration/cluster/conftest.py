"""A real cluster on loopback: `testbots coordinator` and `testbots worker` as child processes.

Liveness runs on short settings (0.2 s heartbeats, lost after 1 s, dead-man 3 s) so a lost
worker costs a second, not five; the default values are pinned by the unit tests with an
injected clock. Every process is started by a fixture and killed by PID in its teardown.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest
import yaml

TOKEN = "integration-test-token-0123456789"
HEARTBEAT_S = 0.2
LOST_AFTER_S = 1.0
DEAD_MAN_S = 3.0
START_TIMEOUT_S = 20.0
_CLI = "from botruntime.cli import main; main()"
ROOT = Path(__file__).resolve().parents[3]


def scenario_text(
    *, hold_s: float, rate_per_s: float, bots: int = 30, on_worker_loss: str = "fail"
) -> str:
    """transfer_baseline with its smoke size reshaped: 1 s ramp, a hold, a 1 s drain."""
    doc = yaml.safe_load((ROOT / "scenarios" / "transfer_baseline.yaml").read_text())
    doc["on_worker_loss"] = on_worker_loss
    smoke = doc["sizes"]["smoke"]
    smoke["bots"] = bots
    smoke["load"]["general_user"]["stages"] = [
        {"kind": "ramp", "seconds": 1, "rate_per_s": rate_per_s},
        {"kind": "hold", "seconds": hold_s, "rate_per_s": rate_per_s},
        {"kind": "drain", "seconds": 1},
    ]
    return yaml.safe_dump(doc)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def wait_for_line(self, pattern: str, timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.text())
            if found:
                return found
            if not self.alive():
                raise AssertionError(f"{self.name} exited:\n{self.text()[-3000:]}")
            time.sleep(0.05)
        raise AssertionError(
            f"{self.name}: no {pattern!r} in {timeout_s} s:\n{self.text()[-3000:]}"
        )


@dataclass
class Cluster:
    """What a test drives; tests read the settings from here (conftest is not importable)."""

    directory: Path
    token: str = TOKEN
    lost_after_s: float = LOST_AFTER_S
    dead_man_s: float = DEAD_MAN_S
    metrics_address: str = field(default_factory=lambda: f"127.0.0.1:{free_port()}")
    procs: list[Proc] = field(default_factory=list)
    address: str = ""
    coordinator: Proc | None = None
    workers: list[Proc] = field(default_factory=list)

    def _start(self, name: str, *args: str, token: str = TOKEN) -> Proc:
        log = self.directory / f"{name}.log"
        env = {**os.environ, "TESTBOTS_TOKEN": token}
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-c", _CLI, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def start_coordinator(self, listen: str = "127.0.0.1:0") -> str:
        self.coordinator = self._start(
            f"coordinator{len(self.procs)}",
            "coordinator",
            f"--listen={listen}",
            f"--heartbeat-s={HEARTBEAT_S}",
            f"--lost-after-s={self.lost_after_s}",
            f"--dead-man-s={self.dead_man_s}",
            "--start-delay-s=1.0",
            f"--metrics-listen={self.metrics_address}",
        )
        found = self.coordinator.wait_for_line(r"coordinator ready on (\S+)", START_TIMEOUT_S)
        self.address = found.group(1)
        return self.address

    def start_worker(
        self,
        capacity: int = 100,
        token: str = TOKEN,
        health_listen: str | None = None,
        metrics_listen: str | None = None,
    ) -> Proc:
        name = f"worker{len(self.workers)}"
        extra = [f"--health-listen={health_listen}"] if health_listen else []
        extra += [f"--metrics-listen={metrics_listen}"] if metrics_listen else []
        proc = self._start(
            name,
            "worker",
            f"--coordinator={self.address}",
            f"--capacity={capacity}",
            f"--name={name}",
            "--runner=synthetic",
            "--synthetic-service-ms=2",
            *extra,
            token=token,
        )
        self.workers.append(proc)
        return proc

    def start_scenario_workers(self, n: int) -> None:
        """`n` workers that run real scenario bots, registered before this returns."""
        for i in range(n):
            self.workers.append(
                self._start(
                    f"worker{i}",
                    "worker",
                    f"--coordinator={self.address}",
                    f"--name=worker{i}",
                    "--runner=scenario",
                )
            )
        asyncio.run(self._wait_for_workers(n))

    async def _wait_for_workers(self, n: int) -> None:
        from botruntime.cluster import ControlClient

        async with ControlClient(self.address, self.token) as client:
            await client.wait_for_workers(n, timeout_s=60)

    def cli(self, *args: str, token: str = TOKEN) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TESTBOTS_TOKEN": token}
        return subprocess.run(
            [sys.executable, "-c", _CLI, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )

    free_port = staticmethod(free_port)

    @staticmethod
    def scenario(
        *, hold_s: float, rate_per_s: float, bots: int = 30, on_worker_loss: str = "fail"
    ) -> str:
        return scenario_text(
            hold_s=hold_s, rate_per_s=rate_per_s, bots=bots, on_worker_loss=on_worker_loss
        )

    def kill_all(self) -> None:
        for proc in self.procs:
            proc.kill()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """A Dagster instance of the test's own, for jobs handed to the cluster."""
    (tmp_path / "dagster").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster")) as inst:
        yield inst


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    try:
        made.start_coordinator()
        yield made
    finally:
        made.kill_all()
