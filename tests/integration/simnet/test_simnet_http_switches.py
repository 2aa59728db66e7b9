"""The switches whose defence lives in the HTTP layer, on a real simnet: off by default, and
each opens its weakness when on (stale_reads, no_rate_limit, no_load_shedding,
no_conn_limits, mempool_view_full, no_size_limits)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from botruntime.chain.tx import TxBody, bank_send, sign_tx

pytestmark = pytest.mark.anyio


async def stale_reads(simnet: Any) -> bool:
    simnet.control("POST", "/simnet/faults", {"node": "v4", "chain": "alpha", "lag_blocks": 3})
    heights = simnet.step(4)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(3), timeout=10) as v4:
        answer = await v4.get("/status", headers={"X-Min-Height": str(heights["alpha"])})
    return answer.status_code == 200 and "x-height" not in answer.headers


async def no_rate_limit(simnet: Any) -> bool:
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        statuses = [
            (await node.get("/health", headers={"X-Client-Id": "greedy"})).status_code
            for _ in range(300)
        ]
    return 429 not in statuses


async def no_load_shedding(simnet: Any) -> bool:
    simnet.control("POST", "/simnet/faults", {"node": "v2", "chain": "alpha", "latency_ms": 700})
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=simnet.alpha_url(1), timeout=20, limits=limits) as v2:
        answers = await asyncio.gather(
            *(v2.get("/health", headers={"X-Client-Id": f"c{i}"}) for i in range(300))
        )
    shed = [a for a in answers if a.status_code == 503]
    assert all(a.headers.get("retry-after") for a in shed)
    return not shed and all(a.status_code == 200 for a in answers)


async def no_conn_limits(simnet: Any) -> bool:
    """The 1,000th request on one connection is answered with Connection: close."""
    closes = 0
    async with httpx.AsyncClient(base_url=simnet.alpha_url(2), timeout=10) as v3:
        for i in range(1_000):
            answer = await v3.get("/health", headers={"X-Client-Id": f"k{i}"})
            closes += answer.headers.get("connection") == "close"
    return closes == 0


async def mempool_view_full(simnet: Any) -> bool:
    alice, bob = simnet.genesis_identities(2)
    simnet.step(0)
    body = TxBody(
        "alpha-simnet-1", alice.alpha_address, 0, 5_000, (bank_send(bob.alpha_address, 10**6),)
    )
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        await node.post("/txs", json={"tx": sign_tx(alice, body).to_wire()})
        view = (await node.get("/mempool")).json()
    assert len(view["txs"]) == 1
    return "tx" in view["txs"][0]


async def no_size_limits(simnet: Any) -> bool:
    async with httpx.AsyncClient(base_url=simnet.alpha_url(0), timeout=10) as node:
        answer = await node.post("/txs", content=b" " * (1024 * 1024 + 10) + b"{}")
    return answer.json()["code"] != "tx_too_large"


CASES: dict[str, Callable[[Any], Awaitable[bool]]] = {
    f.__name__: f
    for f in (
        stale_reads,
        no_rate_limit,
        no_load_shedding,
        no_conn_limits,
        mempool_view_full,
        no_size_limits,
    )
}


@pytest.mark.parametrize("switch", sorted(CASES))
async def test_the_http_switch_is_off_by_default_and_opens_its_weakness(
    switch: str, simnet: Any
) -> None:
    assert simnet.control("GET", "/simnet/vuln")["active"] == []
    defended = await CASES[switch](simnet)
    simnet.clean()
    assert simnet.vuln(switch) == [switch]
    weak = await CASES[switch](simnet)
    assert (defended, weak) == (False, True)
