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


async def _raw(url: str, requests: list[bytes]) -> bytes:
    """Write `requests` on one fresh connection (pipelined) and read until it closes."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"".join(requests))
    await writer.drain()
    async with asyncio.timeout(20):
        answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


def _get(path: str, client: str, close: bool = False) -> bytes:
    last = b"connection: close\r\n" if close else b""
    return f"GET {path} HTTP/1.1\r\nhost: t\r\nx-client-id: {client}\r\n".encode() + last + b"\r\n"


async def no_load_shedding(simnet: Any) -> bool:
    simnet.control("POST", "/simnet/faults", {"node": "v2", "chain": "alpha", "latency_ms": 700})
    url = simnet.alpha_url(1)
    answers = await asyncio.gather(
        *(_raw(url, [_get("/health", f"c{i}", close=True)]) for i in range(300))
    )
    shed = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
    assert all(b"retry-after:" in a for a in shed)
    return not shed and all(a.startswith(b"HTTP/1.1 200") for a in answers)


async def no_conn_limits(simnet: Any) -> bool:
    """1,001 requests pipelined on one connection: the 1,000th says Connection: close and the
    node closes; under the switch all 1,001 are answered (and nothing is closed: read them by
    count, not until the close)."""
    host, port = simnet.alpha_url(2).removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"".join(_get("/health", f"k{i}") for i in range(1_001)))
    await writer.drain()
    answer = b""
    async with asyncio.timeout(20):
        while answer.count(b"HTTP/1.1 200") < 1_001:
            chunk = await reader.read(65536)
            if not chunk:
                break
            answer += chunk
    writer.close()
    await writer.wait_closed()
    return answer.count(b"HTTP/1.1 200") == 1_001


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
