"""uvicorn's httptools protocol with one `send()` per answer instead of two, and the
half-closed sockets the `no_conn_limits` switch leaks.

uvicorn writes an answer's status line and headers, then its body, as two transport writes,
and uvloop turns each into a syscall. On this machine's VM a send costs about 60 µs, a
quarter of a node's CPU per submitted tx (measured with cProfile under
bench/simnet_capacity.py). `CoalescingTransport` gathers the writes made in one step of the
loop and sends them together on the next step, so an answer leaves in one syscall.
Everything else is the real transport's.

A defended node closes a connection once its client has hung up (EOF), and closes it after
answering a request that said `Connection: close`. Under `no_conn_limits` it does neither: it
leaves the closing to the client and, once the client has closed its side, keeps its own side
open (CLOSE_WAIT), so every socket a closing client used stays an open descriptor and an open
connection until the process ends (SCENARIOS.md §8, R5 C3).

Every refusal the port itself makes is PROTOCOL.md's typed JSON error, never uvicorn's plain
text: past the connection limit (`limit_concurrency`, 1,024 by default) a request gets 503
`unavailable` with `Retry-After` and `Connection: close`; a request the HTTP parser cannot read
gets 400 `malformed`, and the connection closes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Final

import orjson
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from simnet._errors import Rejected, Unavailable
from simnet._http import JSON, error_response

__all__ = ["CoalescingHttpToolsProtocol", "CoalescingTransport", "node_protocol"]

CONNECTION_LIMIT_RETRY_S: Final = 1.0


class CoalescingTransport:
    __slots__ = ("_chunks", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._chunks: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._chunks:
            self._loop.call_soon(self._flush)
        self._chunks.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        if self._chunks:
            data = b"".join(self._chunks)
            self._chunks.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn refuses past `limit_concurrency` in plain text: this class owns the limit
        self.connection_limit, self.limit_concurrency = self.limit_concurrency, None

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """Every request starts here (pipelined ones too); past the limit it gets the 503."""
        limit = self.connection_limit
        if limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit):
            app = self._over_limit(limit)
        super()._start_asgi_task(cycle, app)

    def _over_limit(self, limit: int) -> Any:
        port = self.server[1] if self.server else "?"
        busy = Unavailable(
            f"port {port} has {len(self.connections)} connections open and"
            f" {len(self.tasks)} requests in flight; the limit is {limit}: retry after"
            " closing idle connections",
            retry_after_s=CONNECTION_LIMIT_RETRY_S,
        )
        answer = error_response(busy)
        answer.headers["connection"] = "close"
        return answer

    def send_400_response(self, msg: str) -> None:
        """The parser could not read the request: 400 malformed as JSON, then close."""
        refused = Rejected("malformed", f"the request is not valid HTTP/1.1: {msg}")
        body = orjson.dumps(refused.to_wire())
        head = [STATUS_LINE[400]]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: " + JSON.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(head))
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)  # type: ignore[arg-type]

    # a class attribute so uvicorn can build the protocol with its own arguments
    leaks_half_closed: Callable[[], bool] = staticmethod(lambda: False)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        if self.cycle is not None and self.leaks_half_closed():
            self.cycle.keep_alive = True  # `Connection: close` not honoured: the client closes

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client closed its side: close ours (None), or keep it half-closed (True)."""
        return True if self.leaks_half_closed() else None


def node_protocol(leaks_half_closed: Callable[[], bool]) -> type[CoalescingHttpToolsProtocol]:
    """The protocol class of one network's ports: `leaks_half_closed` is asked at each EOF
    and each request, so the switch takes effect on connections already open."""

    class NodeProtocol(CoalescingHttpToolsProtocol):
        pass

    NodeProtocol.leaks_half_closed = staticmethod(leaks_half_closed)
    return NodeProtocol
