"""uvicorn's httptools protocol with one `send()` per answer instead of two, the hot route
answered without an ASGI cycle, and the half-closed sockets the `no_conn_limits` switch leaks.

uvicorn writes an answer's status line and headers, then its body, as two transport writes,
and uvloop turns each into a syscall. On this machine's VM a send costs about 60 µs, a
quarter of a node's CPU per submitted tx (measured with cProfile under
bench/simnet_capacity.py). `CoalescingTransport` gathers the writes made in one step of the
loop and sends them together on the next step, so an answer leaves in one syscall.
Everything else is the real transport's. It still pays for an answer written in one piece:
sent at once instead of on the next step, the refused `POST /txs` of 16 keep-alive clients
cost simnet ~23 µs of kernel CPU each instead of ~12 (the reads of a step no longer come
before its sends).

A request the port's gate takes at once (`AnswersNow`: `POST /txs`, see simnet/_gate.py) gets
no RequestResponseCycle, scope copy, ASGI task, receive/send coroutines or message dicts: the
protocol keeps its body, hands the gate the whole of it once parsed, and writes the answer the
ASGI path would have written, byte for byte (status line, headers, Connection: close, the
keep-alive timer after it). If the gate must await (a paused node, injected latency, mode=commit)
it says so before anything happened, and the request takes the ASGI path with its body.
Measured in process (the protocol fed bench/simnet_capacity.py's requests, the chain's decode
and admission made free, so what is left is the front end): ~28 µs of CPU per `POST /txs`
this way, ~45 µs through ASGI, on this 2-core machine.

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
import logging
from collections.abc import Callable
from typing import Any, ClassVar, Final, Protocol

import orjson
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from simnet._errors import Rejected, Unavailable
from simnet._http import JSON, Answer, answer_of, bug_response, error_response

__all__ = ["AnswersNow", "CoalescingHttpToolsProtocol", "CoalescingTransport", "node_protocol"]

CONNECTION_LIMIT_RETRY_S: Final = 1.0
# the headers llhttp reads keep-alive or close from (the HTTP/1.0 keep-alive among them)
_CONNECTION_HEADERS: Final = (b"connection", b"proxy-connection")

log = logging.getLogger("simnet")


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

    def is_closing(self) -> bool:  # asked after every answer: no __getattr__ detour
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class AnswersNow(Protocol):
    """What a port may ask its app before an ASGI cycle (simnet/_gate.py's NodeGate)."""

    def takes_now(self, method: str, path: str) -> bool: ...

    def answer_now(self, scope: Any, body: bytes) -> Answer | None: ...


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn refuses past `limit_concurrency` in plain text: this class owns the limit
        self.connection_limit, self.limit_concurrency = self.limit_concurrency, None
        # the body of a request `answers_now` is asked to answer, None for any other request
        self._now_body: bytes | None = None
        self._idle_since: float | None = None  # the loop time of the last answer, if idle
        self._shutting_down = False  # the server stops: close once the request is answered
        self._says_connection = False  # the request answered at once says Connection:

    # ---- the keep-alive timeout: one timer per idle spell, not one per request ----------------

    def _unset_keepalive_if_required(self) -> None:
        """Data arrived: the connection is busy (uvicorn cancels its timer here; this one
        stays armed and looks again when due)."""
        self._idle_since = None

    def on_response_complete(self) -> None:
        """uvicorn's, but the timer armed after an answer is kept while answers follow."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_due
            )

    def _keep_alive_due(self) -> None:
        """Close the connection idle for `timeout_keep_alive` since its last answer; look
        again when that would be, if it answered since; a busy one re-arms on its answer."""
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None or self.transport.is_closing():
            return
        left = idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        else:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """Every ASGI request starts here (pipelined ones too); past the limit it gets the 503."""
        if self._over_connection_limit():
            app = self._over_limit(self.connection_limit or 0)
        super()._start_asgi_task(cycle, app)

    def _over_connection_limit(self) -> bool:
        limit = self.connection_limit
        return limit is not None and (len(self.connections) > limit or len(self.tasks) >= limit)

    # ---- the requests answered at once: no cycle, scope copy or task --------------------------

    def on_message_begin(self) -> None:
        """uvicorn's, but the scope holds only what the gate reads (the client and headers, then
        method and path) until the request takes the ASGI path, where `_open_cycle` completes
        it: a request answered at once builds no ASGI scope and copies no app state."""
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self.scope = {"type": "http", "client": self.client, "headers": self.headers}  # type: ignore[typeddict-item]

    def on_headers_complete(self) -> None:
        if self._answers_now():
            self._now_body = b""  # on_message_complete answers it
            return
        self._open_cycle()

    def _open_cycle(self) -> None:
        """uvicorn's cycle for the request (its ASGI task starts, or waits behind the
        connection's earlier request)."""
        scope = self.scope  # what uvicorn's on_message_begin puts in it
        scope["asgi"] = {"version": self.asgi_version, "spec_version": "2.3"}
        scope["http_version"] = "1.1"
        scope["server"] = self.server
        scope["scheme"] = self.scheme  # type: ignore[typeddict-item]
        scope["root_path"] = self.root_path
        scope["state"] = self.app_state.copy()
        super().on_headers_complete()
        if self.cycle is not None and self.leaks_half_closed():
            self.cycle.keep_alive = True  # `Connection: close` not honoured: the client closes
        if self.cycle is not None and self._shutting_down:
            self.cycle.keep_alive = False

    def _answers_now(self) -> bool:
        """A route the app answers at once, on a connection with no answer outstanding, under
        the connection limit, with a body of a declared length that fits the read buffer
        (uvicorn stops reading past it, for an ASGI receive to resume) and no
        `Expect: 100-continue` (the client waits for that before it sends the body)."""
        app, url = self.answers_now, self.url
        if app is None or b"?" in url or b"%" in url or self.expect_100_continue:
            return False
        if not (self.cycle is None or self.cycle.response_complete):
            return False  # pipelined behind an answer still due: answers go out in order
        if self._over_connection_limit() or self.parser.should_upgrade():
            return False
        route = (self.parser.get_method(), url)
        taken = self.routes_now.get(route)
        if taken is None:
            method, path = route[0].decode("ascii"), url.decode("ascii")
            if not app.takes_now(method, path):
                return False
            taken = self.routes_now[route] = (method, path)  # a route table's few entries
        method, path = taken
        length = None
        self._says_connection = False
        for name, value in self.headers:
            if name == b"content-length":
                if length is None:
                    length = value
            elif name in _CONNECTION_HEADERS:
                self._says_connection = True
        if length is None:
            return False  # chunked: the ASGI path reads it
        if not (length.isdigit() and int(length) <= HIGH_WATER_LIMIT):
            return False
        self.scope["method"], self.scope["path"] = method, path
        return True

    def on_body(self, body: bytes) -> None:
        if self._now_body is None:
            super().on_body(body)
        else:
            self._now_body += body

    def on_message_complete(self) -> None:
        body = self._now_body
        if body is None:
            super().on_message_complete()
            return
        self._now_body = None
        assert self.answers_now is not None
        try:
            answer = self.answers_now.answer_now(self.scope, body)
        except Exception as exc:  # a bug: the parser would call it unreadable HTTP (400)
            log.exception("a bug in simnet answering %s %s", self.scope["method"], self.url)
            answer = answer_of(bug_response(exc))
        if answer is not None:
            self._write_answer(answer, self._keeps_alive())
            return
        self._open_cycle()  # the ASGI path after all, with the body read
        if body:
            super().on_body(body)
        super().on_message_complete()

    def shutdown(self) -> None:
        """The server stops: a request whose body is still arriving is answered first (as
        uvicorn lets a cycle finish), then the connection closes."""
        if self._now_body is None:
            super().shutdown()
        else:
            self._shutting_down = True

    def _keeps_alive(self) -> bool:
        """uvicorn's `http_version != "1.0" and parser.should_keep_alive()`, asking the
        version (a string the parser formats anew each time) only of a request that said
        `Connection:`, since without it llhttp keeps alive HTTP/1.1 and later alone."""
        parser = self.parser
        if not parser.should_keep_alive():
            return False
        return not self._says_connection or parser.get_http_version() != "1.0"

    def _write_answer(self, answer: Answer, keep_alive: bool) -> None:
        """`answer` as uvicorn's cycle would write it, then what it does once answered;
        `keep_alive` is what the request asked for."""
        keep_alive = not self._shutting_down and (keep_alive or self.leaks_half_closed())
        head = [STATUS_LINE[answer.status]]
        closes = False
        headers = answer.headers
        if self.server_state.default_headers:
            headers = [*self.server_state.default_headers, *headers]
        for name, value in headers:
            if name == b"connection" and b"close" in value.lower():
                keep_alive, closes = False, True
            head += (name, b": ", value, b"\r\n")
        if not keep_alive and not closes:
            head.append(b"connection: close\r\n")
        head += (b"\r\n", answer.body)
        self.transport.write(b"".join(head))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()

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

    # class attributes so uvicorn can build the protocol with its own arguments
    leaks_half_closed: Callable[[], bool] = staticmethod(lambda: False)
    answers_now: AnswersNow | None = None
    # (method, url) as sent -> (method, path) of the routes `answers_now` takes
    routes_now: ClassVar[dict[tuple[bytes, bytes], tuple[str, str]]] = {}

    def eof_received(self) -> bool | None:  # type: ignore[override]
        """The client closed its side: close ours (None), or keep it half-closed (True)."""
        return True if self.leaks_half_closed() else None


def node_protocol(
    leaks_half_closed: Callable[[], bool], answers_now: AnswersNow | None = None
) -> type[CoalescingHttpToolsProtocol]:
    """The protocol class of one port: `leaks_half_closed` is asked at each EOF and each
    request, so the switch takes effect on connections already open; `answers_now` (the
    port's gate) answers its hot routes without an ASGI cycle."""

    class NodeProtocol(CoalescingHttpToolsProtocol):
        pass

    NodeProtocol.leaks_half_closed = staticmethod(leaks_half_closed)
    NodeProtocol.answers_now = answers_now
    NodeProtocol.routes_now = {}
    return NodeProtocol
