"""`keep_alive=False`: every transport opens a connection per request, says `Connection:
close`, and hangs up once answered (R5's churners)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from botruntime.chain._aiohttp import AiohttpTransport
from botruntime.chain._h1 import H1Transport
from botruntime.chain._httpx import HttpxTransport
from botruntime.chain.transport import Transport, TransportConfig

pytestmark = pytest.mark.anyio


class Node:
    """A loopback HTTP/1.1 node keeping connections alive unless asked to close; it counts
    the connections opened, the requests that said close, and the clients' hang-ups."""

    def __init__(self, expected_hang_ups: int = 0) -> None:
        self.connections = 0
        self.closing_requests = 0
        self.hang_ups = 0
        self.expected_hang_ups = expected_hang_ups
        self.all_hung_up = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    self.hang_ups += 1
                    return
                close = b"connection: close" in head.lower()
                self.closing_requests += close
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except ConnectionError:
            self.hang_ups += 1
        finally:
            writer.close()
            if self.hang_ups >= self.expected_hang_ups:
                self.all_hung_up.set()


@asynccontextmanager
async def node(expected_hang_ups: int = 0) -> AsyncIterator[tuple[Node, str]]:
    state = Node(expected_hang_ups)
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    try:
        yield state, f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:
        listener.close()


TRANSPORTS = {"h1": H1Transport, "aiohttp": AiohttpTransport, "httpx": HttpxTransport}


@pytest.mark.parametrize("kind", sorted(TRANSPORTS))
async def test_without_keep_alive_each_request_has_its_own_connection(kind: str) -> None:
    async with node(expected_hang_ups=5) as (state, url):
        transport: Transport = TRANSPORTS[kind](TransportConfig(url, keep_alive=False))
        async with transport:
            for _ in range(5):
                assert (await transport.request("GET", "/health")).status == 200
        async with asyncio.timeout(10):
            await state.all_hung_up.wait()
    assert (state.connections, state.closing_requests) == (5, 5)


@pytest.mark.parametrize("kind", sorted(TRANSPORTS))
async def test_with_keep_alive_requests_share_one_connection(kind: str) -> None:
    async with node() as (state, url):
        transport: Transport = TRANSPORTS[kind](TransportConfig(url))
        async with transport:
            for _ in range(5):
                assert (await transport.request("GET", "/health")).status == 200
    assert (state.connections, state.closing_requests) == (1, 0)
