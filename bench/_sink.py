"""A minimal node for load-generator benches: fixed answers, keep-alive, one pinned core.

`POST /txs` gets simnet's submit answer `{"hash","code":"ok","status":"pending"}` and
`GET /status` the chain id; anything else is a 404. Nothing is parsed beyond the request line,
so the sink costs a few µs per request and the generator in front of it is what gets measured.
It runs in its own process (`start_sink`), pinned to the last core, on uvloop + httptools.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import socket
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Self

import orjson
import uvloop

__all__ = ["CHAIN_ID", "RunningSink", "pin", "start_sink"]

CHAIN_ID = "alpha-simnet-1"


def _answer(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Height: 1\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


_SUBMITTED = _answer("200 OK", orjson.dumps({"hash": "0" * 64, "code": "ok", "status": "pending"}))
_STATUS = _answer(
    "200 OK",
    orjson.dumps(
        {
            "chain_id": CHAIN_ID,
            "node_id": "sink",
            "height": 1,
            "time": "2024-01-01T00:00:00Z",
            "catching_up": False,
            "block_time_ms": 1000,
        }
    ),
)
_NOT_FOUND = _answer("404 Not Found", orjson.dumps({"code": "not_found", "message": "no route"}))


def pin(core: int) -> None:
    """Pin this process to one core (modulo the cores there are); a no-op where unsupported."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})


def _serve(port: int, ready: Connection) -> None:
    import httptools

    pin((os.cpu_count() or 1) - 1)

    class Sink(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpRequestParser(self)
            self.transport: asyncio.Transport | None = None
            self.url = b""

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]  # uvloop's own class

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                assert self.transport is not None
                self.transport.close()

        def on_url(self, url: bytes) -> None:
            self.url = url

        def on_message_complete(self) -> None:
            assert self.transport is not None
            if self.url == b"/txs":
                self.transport.write(_SUBMITTED)
            elif self.url == b"/status":
                self.transport.write(_STATUS)
            else:
                self.transport.write(_NOT_FOUND)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Sink, "127.0.0.1", port, backlog=1024)
        ready.send("ready")
        async with server:
            await server.serve_forever()

    uvloop.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningSink:
    """The sink's process; `stop()` (or leaving the `with` block) kills it by PID."""

    process: mp.process.BaseProcess
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, 15)
        self.process.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_sink(timeout_s: float = 10.0) -> RunningSink:
    """Start the sink on a free loopback port and wait until it accepts connections."""
    port = _free_port()
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(port, theirs), name="sink", daemon=True)
    process.start()
    sink = RunningSink(process, port)
    if not ours.poll(timeout_s):
        sink.stop()
        raise SystemExit(f"the sink did not start within {timeout_s} s")
    ours.recv()
    return sink
