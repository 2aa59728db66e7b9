"""Explorer reads, simulate, supply, export/import, metrics and the OpenAPI document over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Route

from botruntime.chain.tx import TxBody, bank_send, sign_tx
from simnet import Network, Params
from simnet._app import NodeApi
from simnet._control import ControlPlane
from simnet._explore import NodeExplorer
from simnet._waiters import CommitWaiters

pytestmark = pytest.mark.anyio


def transfer(alice: Any, bob: Any, nonce: int) -> dict[str, Any]:
    body = TxBody(
        "alpha-simnet-1", alice.alpha_address, nonce, 5_000, (bank_send(bob.alpha_address, 10**6),)
    )
    return {"tx": sign_tx(alice, body).to_wire()}


async def test_txs_by_address_page_with_stable_cursors(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(0)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        for nonce in range(5):
            await node.post("/txs", json=transfer(alice, bob, nonce))
        simnet.step(1)
        first = (await node.get("/txs", params={"address": bob.alpha_address, "limit": 2})).json()
        for nonce in range(5, 8):  # the list grows between pages
            await node.post("/txs", json=transfer(alice, bob, nonce))
        simnet.step(1)
        seen = [t["hash"] for t in first["txs"]]
        cursor = first["next_cursor"]
        while cursor:
            page = (
                await node.get(
                    "/txs", params={"address": bob.alpha_address, "limit": 2, "cursor": cursor}
                )
            ).json()
            seen += [t["hash"] for t in page["txs"]]
            cursor = page["next_cursor"]
        bad = await node.get("/txs", params={"address": bob.alpha_address, "cursor": "%%%"})
    assert len(seen) == len(set(seen)) == 8
    assert bad.json()["code"] == "malformed"


async def test_blocks_mempool_supply_and_simulate(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(3)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        blocks = (await node.get("/blocks", params={"from": 1, "to": 3})).json()["blocks"]
        simulated = (await node.post("/txs/simulate", json=transfer(alice, bob, 0))).json()
        empty = (await node.get("/mempool/stats")).json()
        await node.post("/txs", json=transfer(alice, bob, 0))
        await node.post("/txs", json=transfer(alice, bob, 2))
        stats = (await node.get("/mempool/stats")).json()
        view = (await node.get("/mempool", params={"sender": alice.alpha_address})).json()
        not_an_address = await node.get("/mempool", params={"sender": "../x"})
        no_sender = await node.get("/bridge/senders/%21%40/transfers")
        supply = (await node.get("/supply")).json()["supply"]
        ax = (await node.get("/supply/AX")).json()
    assert [b["height"] for b in blocks] == [1, 2, 3]
    assert blocks[1]["prev_hash"] == blocks[0]["hash"]
    assert simulated["code"] == "ok" and simulated["status"] == "pending"
    assert int(simulated["min_fee"]) < 5_000 and empty["txs"] == 0
    assert (stats["txs"], stats["pending"], stats["queued_future"]) == (2, 1, 1)
    assert [(t["nonce"], t["status"]) for t in view["txs"]] == [
        (0, "pending"),
        (2, "queued_future"),
    ]
    assert view["view"] == "redacted" and "tx" not in view["txs"][0]
    # a sender filter that names no account is refused, like ?address= of GET /txs
    assert (not_an_address.status_code, not_an_address.json()["code"]) == (400, "invalid_address")
    assert (no_sender.status_code, no_sender.json()["code"]) == (400, "invalid_address")
    assert ax == {"denom": "AX", "amount": supply["AX"]}


async def test_export_import_round_trip_keeps_the_state_hash(simnet: Any) -> None:
    alice, bob = simnet.genesis_identities(2)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=30) as node:
        await node.post("/txs", json={**transfer(alice, bob, 0), "mode": "commit"})
        simnet.step(1)
        exported = (await node.get("/simnet/export")).json()
        simnet.reset()
        imported = (await node.post("/simnet/import", json=exported)).json()
        account = (await node.get(f"/accounts/{alice.alpha_address}")).json()
    assert imported["state_hash"] == exported["state_hash"]
    assert account["nonce"] == 1


async def test_metrics_speak_prometheus(simnet: Any) -> None:
    async with httpx.AsyncClient(base_url=simnet.control_url, timeout=10) as node:
        answer = await node.get("/simnet/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    for name in ("simnet_height", "simnet_mempool_txs", "simnet_rss_bytes", "simnet_open_fds"):
        assert f"\n{name}" in "\n" + answer.text


async def test_the_openapi_document_names_every_route(simnet: Any) -> None:
    async with httpx.AsyncClient(base_url=simnet.control_url, timeout=10) as node:
        document = (await node.get("/openapi.json")).json()
    # a network of its own for the route tables: compiled, they check what they are given
    network = Network(Params(nodes=1), "routes", [])
    routes = [
        *NodeApi.routes(NodeApi(network, "alpha", 0, CommitWaiters(network))),
        *NodeExplorer(network, "alpha", 0).routes(),
        *ControlPlane(network, None).routes(),  # type: ignore[arg-type]
    ]
    served = {
        (r.path.replace(":path}", "}"), m.lower())
        for r in routes
        if isinstance(r, Route)
        for m in (r.methods or ()) - {"HEAD"}
    }
    described = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert served - described == set()
