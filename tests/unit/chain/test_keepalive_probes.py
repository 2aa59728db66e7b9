"""The keep-alive probes against a loopback HTTP server whose hygiene each test chooses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from botruntime.chain._keepalive import idle_closed_after_s, requests_until_close

pytestmark = pytest.mark.anyio

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\ncontent-type: application/json\r\n"


@asynccontextmanager
async def server(
    *, idle_s: float | None, cap: int | None, seen: list[bytes] | None = None
) -> AsyncIterator[str]:
    """Answers every request with 200; closes a connection idle for `idle_s`, says
    `Connection: close` on its `cap`-th request (None: never)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(idle_s):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (TimeoutError, asyncio.IncompleteReadError):
                    return
                if seen is not None:
                    seen.append(head)
                served += 1
                last = cap is not None and served >= cap
                writer.write(OK + (b"connection: close\r\n" if last else b"") + b'\r\n{"ok":true}')
                await writer.drain()
                if last:
                    return
        finally:
            writer.close()

    listener = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        listener.close()


async def test_an_idle_connection_closed_by_the_node_is_timed() -> None:
    seen: list[bytes] = []
    async with server(idle_s=0.2, cap=None, seen=seen) as url:
        closed_after = await idle_closed_after_s(url, "probe-1", wait_s=3.0)
    assert closed_after is not None and 0.1 < closed_after < 3.0
    assert b"GET /health HTTP/1.1" in seen[0] and b"X-Client-Id: probe-1" in seen[0]


async def test_an_idle_connection_the_node_keeps_is_reported_open() -> None:
    async with server(idle_s=None, cap=None) as url:
        assert await idle_closed_after_s(url, "probe-1", wait_s=0.3) is None


async def test_the_request_cap_is_the_answer_that_says_close() -> None:
    seen: list[bytes] = []
    async with server(idle_s=None, cap=3, seen=seen) as url:
        assert await requests_until_close(url, "probe-1", limit=10) == 3
    assert len(seen) == 3


async def test_a_node_without_a_cap_keeps_the_connection_past_the_limit() -> None:
    async with server(idle_s=None, cap=None) as url:
        assert await requests_until_close(url, "probe-1", limit=5) is None
