"""CoalescingTransport: the writes of one loop step leave as one write; close flushes first.
The node protocol: a request through ASGI gets the scope uvicorn gives it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from simnet._transport import CoalescingTransport, node_protocol

pytestmark = pytest.mark.anyio


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 1) if name == "peername" else default


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_writes_of_one_step_leave_together() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"HTTP/1.1 200 OK\r\n\r\n")
    coalescing.write(memoryview(b"{}"))
    assert real.writes == []
    await asyncio.sleep(0)
    coalescing.write(b"next")
    await asyncio.sleep(0)
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}", b"next"]
    assert coalescing.get_extra_info("peername") == ("127.0.0.1", 1)


async def test_close_sends_what_is_pending_first() -> None:
    real = RecordingTransport()
    coalescing = CoalescingTransport(real, asyncio.get_running_loop())
    coalescing.write(b"last answer")
    coalescing.close()
    await asyncio.sleep(0)
    assert (real.writes, real.closed) == ([b"last answer"], True)


async def test_a_request_through_asgi_gets_uvicorns_scope() -> None:
    """The node protocol builds the scope only once a request takes the ASGI path: the app
    gets every key and value uvicorn's own protocol gives it."""
    scopes: list[dict[str, object]] = []
    answered = asyncio.Event()

    async def app(scope: dict[str, object], receive: object, send: Any) -> None:
        scopes.append(dict(scope))
        answered.set()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, lifespan="off", loop="none", log_level="warning")
    config.load()
    request = b"GET /x%20y?z=1 HTTP/1.1\r\nHost: node\r\nX-Client-Id: a \r\nExpect: nothing\r\n\r\n"
    for protocol_class in (HttpToolsProtocol, node_protocol(lambda: False)):
        protocol = protocol_class(  # type: ignore[call-arg]
            config=config, server_state=ServerState(), app_state={"k": 1}
        )
        protocol.connection_made(RecordingTransport())
        answered.clear()
        protocol.data_received(request)
        async with asyncio.timeout(10):
            await answered.wait()
    uvicorns, ours = scopes
    assert ours == uvicorns
    assert ours["path"] == "/x y" and ours["headers"] == [
        (b"host", b"node"),
        (b"x-client-id", b"a"),
        (b"expect", b"nothing"),
    ]
