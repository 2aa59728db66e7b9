"""The `simnet` fixture: simnet served by `python -m simnet` in a subprocess on free loopback ports.

One process serves the whole session (starting one costs about a second); before each test the
fixture resets it to a fresh genesis, clears every vulnerable-mode switch and fault, and sets
the clock back to 0.2 s blocks, so tests do not see each other's state. The process is killed
by PID at the end of the session.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from botruntime.identity import Identity

BLOCK_TIME_S = 0.2
START_TIMEOUT_S = 30.0
DEFAULT_FUNDS = 10**12


@dataclass
class RunningSimnet:
    """A simnet process: its URLs, chain ids and a few control-plane shortcuts."""

    pid: int
    alpha: list[str]
    delta: list[str]
    control_url: str
    alpha_chain_id: str = "alpha-simnet-1"
    delta_chain_id: str = "delta-simnet-1"
    seed: str = "test"
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0))

    def alpha_url(self, node: int = 0) -> str:
        return self.alpha[node]

    def delta_url(self, node: int = 0) -> str:
        return self.delta[node]

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call the control plane; raise on any non-2xx answer."""
        answer = self._http.request(method, self.control_url + path, json=body)
        answer.raise_for_status()
        return answer.json()

    def reset(
        self,
        genesis: Sequence[tuple[str, Mapping[str, int]]] = (),
        seed: str | None = None,
    ) -> None:
        """A fresh genesis funding each (address, {denom: amount}) on the chain of each denom."""
        accounts = [
            {"address": address, "balances": {d: str(v) for d, v in balances.items()}}
            for address, balances in genesis
        ]
        self.control(
            "POST", "/simnet/reset", {"seed": seed or self.seed, "genesis_accounts": accounts}
        )

    def genesis_identities(self, count: int, funds: int = DEFAULT_FUNDS) -> list[Identity]:
        """`count` identities funded with `funds` AX and DX at a fresh genesis."""
        identities = [Identity.derive(f"{self.seed}-genesis", i) for i in range(count)]
        self.reset([(i.alpha_address, {"AX": funds, "DX": funds}) for i in identities])
        return identities

    def vuln(self, *names: str) -> list[str]:
        return list(self.control("PUT", "/simnet/vuln", {"set": list(names)})["active"])

    def step(self, blocks: int = 1) -> dict[str, int]:
        """Pause the clock and make `blocks` blocks on each chain now; return the heights."""
        answer = self.control("POST", "/simnet/clock", {"pause": True, "step": blocks})
        return dict(answer["heights"])

    def clean(self) -> None:
        self.control("PUT", "/simnet/vuln", {"set": []})
        self.control("DELETE", "/simnet/faults")
        self.control("POST", "/simnet/clock", {"block_time": BLOCK_TIME_S, "pause": False})
        self.reset()


def _start() -> tuple[subprocess.Popen[bytes], Any, dict[str, Any]]:
    stderr = tempfile.TemporaryFile()
    command = [sys.executable, "-m", "simnet", "--port-base", "0", "--block-time"]
    command += [str(BLOCK_TIME_S), "--seed", "test"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    line = b""
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        ready, _, _ = select.select([process.stdout], [], [], max(left, 0))
        chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            process.kill()
            process.wait()
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode(errors="replace")
            pytest.fail(f"simnet printed no start-up line in {START_TIMEOUT_S} s:\n{tail}")
        line += chunk
    return process, stderr, json.loads(line.split(b"\n")[0])


@pytest.fixture(scope="session")
def simnet_process() -> Iterator[RunningSimnet]:
    process, stderr, endpoints = _start()
    running = RunningSimnet(
        pid=process.pid,
        alpha=list(endpoints["alpha"]),
        delta=list(endpoints["delta"]),
        control_url=endpoints["control"],
    )
    try:
        yield running
    finally:
        running._http.close()
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        stderr.close()


@pytest.fixture
def simnet(simnet_process: RunningSimnet) -> RunningSimnet:
    """The session's simnet, reset to a fresh genesis with no switch and no fault."""
    simnet_process.clean()
    return simnet_process
