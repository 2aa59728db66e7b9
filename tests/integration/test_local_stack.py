"""The embedded stack: simnet as a child process, its start-up line, and a clean stop by PID."""

import os

import httpx
import pytest

from botruntime.local import SimnetEndpoints, SimnetProcess, SimnetStartFailed, SimnetStartupLine


def test_simnet_child_serves_both_chains_and_is_gone_after_stop() -> None:
    with SimnetProcess(seed="local-stack", nodes=2, block_time_s=0.2) as simnet:
        endpoints = simnet.endpoints
        assert endpoints is not None and len(endpoints.alpha) == len(endpoints.delta) == 2
        status = httpx.get(f"{endpoints.alpha[1]}/status", timeout=5).json()
        assert status["chain_id"] == "alpha-simnet-1"
        assert httpx.get(f"{endpoints.delta[0]}/status", timeout=5).json()["chain_id"] == (
            "delta-simnet-1"
        )
        pid = simnet.pid
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_child_that_cannot_start_says_why() -> None:
    broken = SimnetProcess(extra_args=["--nodes", "not-a-number"], start_timeout_s=20)
    with pytest.raises(SimnetStartFailed, match="exited") as caught:
        broken.start()
    assert "not-a-number" in caught.value.stderr_tail


@pytest.mark.parametrize("line", ["", "{}", '{"alpha": [], "delta": [], "control": "x"}', "[1]"])
def test_a_start_up_line_not_of_the_protocol_is_refused(line: str) -> None:
    with pytest.raises(SimnetStartupLine):
        SimnetEndpoints.parse(line)
