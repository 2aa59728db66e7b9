"""Half-closed sockets: a defended simnet closes every connection its clients closed; under
`no_conn_limits` it keeps each one open (CLOSE_WAIT), as an open fd and an open connection
in `GET /simnet/metrics` (what R5 connection_churn's C3 reads)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.anyio

CLIENTS = 20
SETTLE_S = 5.0  # a defended node closes at once; this is the slack of a busy machine


async def _gauges(simnet: Any) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(simnet.control_url + "/simnet/metrics")).text
    return {
        family.name: family.samples[0].value
        for family in text_string_to_metric_families(text)
        if family.name in ("simnet_open_fds", "simnet_connections")
    }


async def _churn(url: str) -> None:
    """One request on a connection of its own, `Connection: close`; hang up once answered."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /health HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(10):
        await reader.readuntil(b'{"ok":true}')
    writer.close()
    await writer.wait_closed()


async def _excess_after_churn(simnet: Any) -> float:
    """Connections still open `SETTLE_S` after CLIENTS churned, above those open before (the
    first moment it is back at or under the baseline ends the wait)."""
    before = await _gauges(simnet)
    for _ in range(CLIENTS):
        await _churn(simnet.alpha_url(1))
    deadline = time.monotonic() + SETTLE_S
    while True:
        now = await _gauges(simnet)
        excess = now["simnet_connections"] - before["simnet_connections"]
        if excess <= 0 or time.monotonic() > deadline:
            return excess
        await asyncio.sleep(0.1)


async def test_a_defended_node_closes_what_its_clients_closed(simnet: Any) -> None:
    assert simnet.control("GET", "/simnet/vuln")["active"] == []
    assert await _excess_after_churn(simnet) <= 0


async def test_without_conn_limits_every_closed_client_leaves_a_half_closed_socket(
    simnet: Any,
) -> None:
    simnet.vuln("no_conn_limits")
    try:
        fds_before = (await _gauges(simnet))["simnet_open_fds"]
        assert await _excess_after_churn(simnet) >= CLIENTS
        assert (await _gauges(simnet))["simnet_open_fds"] - fds_before >= CLIENTS
    finally:
        simnet.clean()
