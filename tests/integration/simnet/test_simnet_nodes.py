"""Node liveness seen from outside: lag, pause, stop/start, partition, refuse, driven by adnet."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from botruntime.chain.tx import TxBody, bank_send, sign_tx
from botruntime.identity import Identity
from simnet.adnet import main as adnet

pytestmark = pytest.mark.anyio


def run_adnet(simnet: Any, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = adnet(["--url", simnet.control_url, *args, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else None


def _transfer(alice: Identity, bob: Identity) -> dict[str, Any]:
    """Alice's first transfer to Bob on Alpha, signed, as POST /txs takes it."""
    body = TxBody(
        "alpha-simnet-1", alice.alpha_address, 0, 5000, (bank_send(bob.alpha_address, 10**6),)
    )
    return sign_tx(alice, body).to_wire()


async def test_a_lagging_node_serves_old_heights_and_honours_min_height(simnet: Any) -> None:
    simnet.control("POST", "/simnet/faults", {"node": "v4", "chain": "alpha", "lag_blocks": 3})
    heights = simnet.step(5)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(3), timeout=10) as v4:
        status = await v4.get("/status")
        behind = await v4.get("/blocks/latest", headers={"X-Min-Height": str(heights["alpha"])})
    assert status.json()["height"] == heights["alpha"] - 3
    assert status.json()["catching_up"] is True
    assert status.headers["x-height"] == str(heights["alpha"] - 3)
    assert behind.status_code == 409 and behind.json()["code"] == "height_not_reached"


async def test_adnet_stops_and_starts_a_node_port(
    simnet: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, nodes = run_adnet(simnet, capsys, "node", "stop", "v2", "--chain", "alpha")
    assert code == 0 and [n["up"] for n in nodes["alpha"]] == [True, False, True, True]
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(simnet.alpha_url(1) + "/health")
        code, rows = run_adnet(simnet, capsys, "status", "--chain", "alpha", "--node", "v2")
        assert code == 0 and rows == [{"chain": "alpha", "node_id": "v2", "up": False}]
        code, _ = run_adnet(simnet, capsys, "node", "start", "v2", "--chain", "alpha")
        assert code == 0
        assert (await client.get(simnet.alpha_url(1) + "/health")).json() == {"ok": True}
    code, logs = run_adnet(simnet, capsys, "logs", "v2")
    assert [line["message"] for line in logs["logs"] if "control" in line["message"]] == [
        "stop (control plane)",
        "start (control plane)",
    ]


async def test_a_paused_node_holds_requests_until_resumed(simnet: Any) -> None:
    simnet.control("POST", "/simnet/nodes/v3/pause?chain=alpha")
    async with httpx.AsyncClient(base_url=simnet.alpha_url(2), timeout=0.5) as v3:
        with pytest.raises(httpx.ReadTimeout):
            await v3.get("/health")
        simnet.control("POST", "/simnet/nodes/v3/resume?chain=alpha")
        assert (await v3.get("/health")).status_code == 200


async def test_a_resumed_node_passes_on_what_it_accepted_before_its_pause(simnet: Any) -> None:
    """Paused within the gossip delay of accepting a tx, a node gossips it once resumed (a
    real node's outbound gossip waits out a SIGSTOP; it is not lost)."""
    alice, bob = simnet.genesis_identities(2)
    tx = _transfer(alice, bob)
    async with (
        httpx.AsyncClient(base_url=simnet.alpha_url(2), timeout=10) as v3,
        httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as v1,
    ):
        simnet.step(0)  # the clock stops: gossip goes only when a step lets it
        sent = (await v3.post("/txs", json={"tx": tx})).json()
        simnet.control("POST", "/simnet/nodes/v3/pause?chain=alpha")
        simnet.step(1)  # the gossip falls due while v3 is paused; a block without v3
        while_paused = (await v1.get(f"/txs/{sent['hash']}")).json()["status"]
        simnet.control("POST", "/simnet/nodes/v3/resume?chain=alpha")
        simnet.step(0)  # the gossip due, no block
        resumed = (await v1.get(f"/txs/{sent['hash']}")).json()["status"]
    assert (while_paused, resumed) == ("unknown", "pending")


async def test_a_partitioned_node_neither_gossips_nor_advances(
    simnet: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    alice, bob = simnet.genesis_identities(2)
    code, _ = run_adnet(simnet, capsys, "network", "partition", "v2")
    assert code == 0
    tx = _transfer(alice, bob)
    async with (
        httpx.AsyncClient(base_url=simnet.alpha_url(1), timeout=10) as v2,
        httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as v1,
    ):
        frozen = (await v2.get("/status")).json()["height"]
        sent = (await v2.post("/txs", json={"tx": tx})).json()
        heights = simnet.step(3)
        cut_off = {
            "v2 height": (await v2.get("/status")).json()["height"],
            "v1 sees": (await v1.get(f"/txs/{sent['hash']}")).json()["status"],
        }
        code, _ = run_adnet(simnet, capsys, "network", "heal")
        simnet.step(2)
        healed = (await v1.get(f"/txs/{sent['hash']}")).json()["status"]
    assert cut_off == {"v2 height": frozen, "v1 sees": "unknown"}
    assert heights["alpha"] >= frozen + 3
    assert code == 0 and healed == "committed"


async def test_refuse_closes_the_port_while_blocks_go_on(simnet: Any) -> None:
    simnet.control("POST", "/simnet/faults", {"node": "v3", "refuse": True})
    before = simnet.control("GET", "/simnet/clock")["heights"]["delta"]
    after = simnet.step(2)["delta"]
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(simnet.delta_url(2) + "/health")
    simnet.control("DELETE", "/simnet/faults")
    async with httpx.AsyncClient(timeout=2) as client:
        assert (await client.get(simnet.delta_url(2) + "/health")).status_code == 200
    assert after == before + 2


def test_adnet_falls_back_to_the_next_url_while_one_refuses(
    simnet: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """An outage of every Alpha front-end, lifted through a Delta node's control plane."""
    urls = f"{simnet.control_url},{simnet.delta_url(0)}"
    code, _ = run_adnet(simnet, capsys, "faults", "--chain", "alpha", "--refuse")
    assert code == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(simnet.control_url + "/health", timeout=2)
    assert adnet(["--url", urls, "faults", "--chain", "alpha", "--accept", "--json"]) == 0
    nodes = json.loads(capsys.readouterr().out)
    assert [n["faults"]["refuse"] for n in nodes["alpha"]] == [False] * len(nodes["alpha"])
    assert httpx.get(simnet.control_url + "/health", timeout=2).json() == {"ok": True}


def test_a_fault_given_for_s_lifts_itself(simnet: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, nodes = run_adnet(
        simnet, capsys, "faults", "--chain", "alpha", "--node", "v2", "--refuse", "--for-s", "0.5"
    )
    assert code == 0 and nodes["alpha"][1]["faults"]["refuse"] is True
    with pytest.raises(httpx.ConnectError):
        httpx.get(simnet.alpha_url(1) + "/health", timeout=2)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        refusing = simnet.control("GET", "/simnet/nodes")["alpha"][1]["faults"]["refuse"]
        if not refusing:
            break
        time.sleep(0.05)
    assert not refusing
    assert httpx.get(simnet.alpha_url(1) + "/health", timeout=2).json() == {"ok": True}


def test_adnet_exit_codes(simnet: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert adnet(["--url", simnet.control_url, "network", "info"]) == 0
    assert "alpha-simnet-1" in capsys.readouterr().out
    assert adnet(["--url", simnet.control_url, "node", "fly", "v1"]) == 2
    assert adnet(["--url", simnet.control_url, "node", "stop", "v9"]) == 1
    assert adnet(["--url", "http://127.0.0.1:9", "network", "info"]) == 1
    assert adnet(["--url", simnet.control_url, "invariants", "--full"]) == 0
