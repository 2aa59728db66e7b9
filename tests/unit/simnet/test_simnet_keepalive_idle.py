"""A node's port closes a keep-alive connection idle for its timeout since the last answer, and
only then: a connection answering at a steady pace outlives many timeouts (simnet/_transport.py
keeps one timer per idle spell instead of one per request)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from simnet import Params
from simnet._runtime import HOST, NodeServer, Runtime

pytestmark = pytest.mark.anyio

IDLE_S = 0.5
GAP_S = 0.1  # well under the timeout, even on a busy machine


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_connection_closes_after_its_idle_timeout_and_not_before(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(nodes=1))
    gate = Runtime(bench.network, 0)._app("alpha", 0)
    server = NodeServer(gate, 0, answers_now=gate)
    server.config.timeout_keep_alive = IDLE_S  # type: ignore[assignment]  # uvicorn: any seconds
    await server.start()
    try:
        reader, writer = await asyncio.open_connection(HOST, server.port)
        requests = [
            b"GET /health HTTP/1.1\r\nhost: node\r\n\r\n",  # through ASGI
            b"POST /txs HTTP/1.1\r\nhost: node\r\ncontent-length: 2\r\n\r\n{}",  # at once
        ]
        started = time.monotonic()
        answered = 0
        while time.monotonic() - started < 3 * IDLE_S:
            writer.write(requests[answered % 2])
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
            answered += 1
            await asyncio.sleep(GAP_S)
        last_answer = time.monotonic() - GAP_S
        async with asyncio.timeout(10):
            assert await reader.read() == b""  # the node closed the idle connection
        idle = time.monotonic() - last_answer
        writer.close()
        assert answered >= 6  # one connection served them all, over three timeouts
        assert idle >= IDLE_S * 0.9
    finally:
        await server.stop()
