"""Every refusal of a simnet port is PROTOCOL.md's typed JSON error, on a real simnet process:
past the connection limit (2,000 connections on one node: 503 `unavailable` + Retry-After, and
the node serves again once they close), a request the HTTP parser cannot read (400 malformed),
and a body over the limit (413 tx_too_large)."""

from __future__ import annotations

import asyncio
import re
import resource
import time
from typing import Any, Final

import orjson
import pytest

from simnet._errors import STATUS

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CONNECTIONS: Final = 2_000
LIMIT: Final = 1_024  # simnet's default connection limit per port (SCENARIOS.md §8)
OPEN_AT_ONCE: Final = 200
DEADLINE_S: Final = 120.0


def _allow_descriptors(wanted: int) -> None:
    """2,000 sockets need more than a distribution's default soft limit of 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.fail(f"RLIMIT_NOFILE hard limit {hard} < {wanted}: raise it (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def typed_error(self) -> dict[str, Any]:
        """The PROTOCOL.md error body, checked field by field."""
        assert self.headers.get("content-type") == "application/json", (self.status, self.body)
        error = orjson.loads(self.body)
        assert set(error) == {"code", "codespace", "message", "details"}, error
        assert error["code"] in STATUS and STATUS[error["code"]] == self.status, error
        assert isinstance(error["message"], str) and error["message"], error
        if self.status in (429, 503):
            assert re.fullmatch(r"[1-9][0-9]*", self.headers.get("retry-after", "")), self.headers
        return error


async def _read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Answer(status, headers, body)


async def _connections(simnet: Any) -> int:
    """Open connections on every port, from simnet's metrics (asked on a port not flooded)."""
    host, port = _host_port(simnet.delta_url(0))
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"GET /simnet/metrics HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
        answer = await _read_answer(reader)
    finally:
        writer.close()
    found = re.search(rb"^simnet_connections (\d+)", answer.body, re.MULTILINE)
    assert found is not None, answer.body[:500]
    return int(float(found.group(1)))


async def _until(what: str, check: Any) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await check():
        assert time.monotonic() < deadline, f"not within {DEADLINE_S} s: {what}"
        await asyncio.sleep(0.2)


async def test_past_the_connection_limit_every_refusal_is_typed_and_the_node_recovers(
    simnet: Any,
) -> None:
    _allow_descriptors(CONNECTIONS + 1_024)
    host, port = _host_port(simnet.alpha_url(0))
    baseline = await _connections(simnet)
    gate = asyncio.Semaphore(OPEN_AT_ONCE)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        async with gate:
            return await asyncio.open_connection(host, port)

    async with asyncio.timeout(DEADLINE_S):
        opened = await asyncio.gather(*(connect() for _ in range(CONNECTIONS)))
    try:
        # every connection is accepted and held before any request: all count at once
        await _until(
            f"simnet holds {CONNECTIONS} connections",
            lambda: _count_at_least(simnet, baseline + CONNECTIONS),
        )
        for i, (_, writer) in enumerate(opened):
            writer.write(f"GET /health HTTP/1.1\r\nhost: t\r\nx-client-id: c{i}\r\n\r\n".encode())
        async with asyncio.timeout(DEADLINE_S):
            answers = await asyncio.gather(*(_read_answer(reader) for reader, _ in opened))
    finally:
        for _, writer in opened:
            writer.close()

    refused = [a for a in answers if a.status != 200]
    served = [a for a in answers if a.status == 200]
    errors = [a.typed_error() for a in refused]
    # a 200 keeps its connection and only a refusal closes one: while more than LIMIT
    # connections are open every request is refused, so at least the overflow is
    assert len(refused) >= CONNECTIONS - LIMIT, (len(refused), len(served))
    assert {e["code"] for e in errors} == {"unavailable"}, {e["code"] for e in errors}
    assert all(a.headers.get("connection") == "close" for a in refused)
    assert all(orjson.loads(a.body) == {"ok": True} for a in served)

    async def serves_again() -> bool:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"GET /health HTTP/1.1\r\nhost: t\r\nx-client-id: after\r\n\r\n")
            return (await _read_answer(reader)).status == 200
        finally:
            writer.close()

    await _until("the node answers 200 once the connections close", serves_again)
    await _until(
        "the connections return to the baseline",
        lambda: _count_at_most(simnet, baseline + 10),
    )


async def _count_at_least(simnet: Any, wanted: int) -> bool:
    return await _connections(simnet) >= wanted


async def _count_at_most(simnet: Any, wanted: int) -> bool:
    return await _connections(simnet) <= wanted


async def test_a_request_the_parser_cannot_read_gets_the_typed_malformed_answer(
    simnet: Any,
) -> None:
    reader, writer = await asyncio.open_connection(*_host_port(simnet.alpha_url(0)))
    try:
        writer.write(b"GET /health HTTP/1.1\r\nhost t\r\n\x00\x01\r\n\r\n")
        async with asyncio.timeout(30):
            answer = await _read_answer(reader)
            rest = await reader.read()
    finally:
        writer.close()
    assert answer.status == 400
    assert answer.typed_error()["code"] == "malformed"
    assert rest == b""  # the node closed the connection


async def test_a_body_over_the_limit_gets_the_typed_tx_too_large_answer(simnet: Any) -> None:
    reader, writer = await asyncio.open_connection(*_host_port(simnet.alpha_url(0)))
    try:
        body = b" " * (1024 * 1024 + 10) + b"{}"
        head = f"POST /txs HTTP/1.1\r\nhost: t\r\ncontent-length: {len(body)}\r\n"
        writer.write(head.encode() + b"content-type: application/json\r\n\r\n" + body)
        async with asyncio.timeout(30):
            answer = await _read_answer(reader)
    finally:
        writer.close()
    assert answer.status == 413
    assert answer.typed_error()["code"] == "tx_too_large"
