"""`POST /txs` answered from the HTTP protocol (no ASGI cycle) gives the bytes the ASGI path
gives: two identical networks, one port answering at once and one through ASGI, get the same
requests over real sockets, and every answer matches byte for byte, refusals, gate headers,
fallbacks and connection handling included."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from starlette.types import Receive, Scope, Send

from simnet import Params
from simnet._runtime import HOST, NodeServer, Runtime
from simnet._transport import AnswersNow

pytestmark = pytest.mark.anyio

CAP = 6  # requests per connection: the 6th is answered with Connection: close
PARAMS = Params(
    nodes=1, txs_burst=4, max_requests_per_connection=CAP, max_body_bytes=2_000, commit_wait_s=0.2
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Port:
    """One node's port with a client that sends raw bytes and reads whole answers."""

    server: NodeServer
    bench: Any
    asgi_calls: list[str] = field(default_factory=list)
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def ask(self, raw: bytes, answers: int = 1) -> list[bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(HOST, self.server.port)
        reader, writer = self.streams
        writer.write(raw)
        out = []
        async with asyncio.timeout(10):
            for _ in range(answers):
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"HTTP/1.1 100 "):  # an interim answer, then the answer
                    head += await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                answer = head + await reader.readexactly(length)
                out.append(answer)
                if b"\r\nconnection: close\r\n" in head:
                    assert await reader.read() == b""  # the node closed the connection
                    writer.close()
                    self.streams = None
        return out


@asynccontextmanager
async def port(bench_factory: Callable[..., Any], now: bool) -> AsyncIterator[Port]:
    bench = bench_factory(PARAMS)
    gate = Runtime(bench.network, 0)._app("alpha", 0)
    calls: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(f"{scope['method']} {scope['path']}")
        await gate(scope, receive, send)

    server = NodeServer(app, 0, answers_now=gate if now else None)
    await server.start()
    node = Port(server, bench, calls)
    try:
        yield node
    finally:
        if node.streams is not None:
            node.streams[1].close()
        await server.stop()


def post(body: bytes, *headers: bytes, target: bytes = b"/txs", version: bytes = b"1.1") -> bytes:
    lines = [b"POST " + target + b" HTTP/" + version, b"host: node", *headers]
    if not any(h.lower().startswith(b"transfer-encoding") for h in headers):
        lines.append(b"content-length: " + str(len(body)).encode())
    return b"\r\n".join([*lines, b"", body])


def chunked(body: bytes) -> bytes:
    return b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)


async def conversation(node: Port) -> list[bytes]:
    """The same requests, in the same order, to either port: every answer's bytes."""
    bench = node.bench
    alpha = bench.network.chains["alpha"]

    def tx(who: int, nonce: int, mode: str = "sync", memo: str = "tb:unit:0:1") -> bytes:
        return orjson.dumps({"tx": bench.tx(who, nonce, memo=memo), "mode": mode})

    c1, c2, c3 = b"x-client-id: c1", b"x-client-id: c2", b"x-client-id: c3"
    out: list[bytes] = []
    out += await node.ask(post(tx(0, 0), c1))  # committed later: pending
    out += await node.ask(post(tx(0, 1, "async"), c1))
    out += await node.ask(post(tx(0, 1), c1))  # the same tx again: 409
    out += await node.ask(post(b"{not json", c2))
    out += await node.ask(post(b'{"tx": {}, "extra": 1}', c2))
    out += await node.ask(post(b'{"tx": {}, "mode": "later"}', c2))  # the 6th: closes
    out += await node.ask(post(b"x" * 2_500, c2))  # over max_body_bytes
    out += await node.ask(post(tx(1, 0, memo="tb:commit:0:1"), c3))  # not mode=commit
    out += await node.ask(post(chunked(tx(1, 1)), c3, b"transfer-encoding: chunked"))
    out += await node.ask(post(tx(1, 2), c3, b"expect: 100-continue"))
    out += await node.ask(post(tx(1, 3), c3, target=b"/txs?x=1"))
    out += await node.ask(post(b"{}", c3))  # c3's 5th tx in its burst of 4: 429
    out += await node.ask(b"GET /health HTTP/1.1\r\nhost: node\r\n\r\n")
    out += await node.ask(post(b"{}", b"x-client-id: c4") + post(b"[]", b"x-client-id: c4"), 2)
    out += await node.ask(post(b"{}", b"x-client-id: c5", b"connection: close"))
    out += await node.ask(post(b"{}", b"x-client-id: c6", version=b"1.0"))
    out += await node.ask(
        post(b"{}", b"x-client-id: c6", b"connection: keep-alive", version=b"1.0")
    )
    node_state = alpha.nodes[0]
    node_state.faults.status = 500
    out += await node.ask(post(b"{}", b"x-client-id: c7"))
    node_state.faults.status = 503
    out += await node.ask(post(b"{}", b"x-client-id: c7"))
    node_state.faults.status = None
    node_state.faults.latency_ms = 5  # a service time: the ASGI path awaits it
    out += await node.ask(post(b"{}", b"x-client-id: c8"))
    node_state.faults.latency_ms = 0
    node_state.lag_blocks = 1
    bench.network.vulns.enable(["stale_reads"])
    out += await node.ask(post(b"{}", b"x-client-id: c9"))  # a stale node sends no X-Height
    node_state.lag_blocks = 0
    # mode=commit waits for a block (none comes here: pending once the wait is over)
    out += await node.ask(post(tx(2, 0, "commit"), b"x-client-id: c10"))
    escaped = tx(2, 1, "commit").replace(b'"commit"', b'"\\u0063ommit"')  # still mode=commit
    out += await node.ask(post(escaped, b"x-client-id: c10"))
    return out


async def test_answers_at_once_are_the_asgi_paths_byte_for_byte(
    bench_factory: Callable[..., Any],
) -> None:
    async with port(bench_factory, now=False) as asgi:
        expected = await conversation(asgi)
    async with port(bench_factory, now=True) as now:
        answers = await conversation(now)
    assert len(expected) == 24
    for sent, (want, got) in enumerate(zip(expected, answers, strict=True)):
        assert got == want, f"answer {sent}"
    statuses = [int(a.rsplit(b"HTTP/1.1 ", 1)[1][:3]) for a in answers]  # after any 100
    assert statuses[:13] == [200, 200, 409, 400, 400, 400, 413, 200, 200, 200, 200, 429, 200]
    assert statuses[13:] == [400, 400, 400, 400, 400, 500, 503, 400, 400, 200, 200]
    assert b"\r\nx-height: " not in answers[-3] and b"\r\nx-height: " in answers[-4]
    assert all(a.endswith(b'"status":"pending"}') for a in answers[-2:])
    assert b"\r\nretry-after: " in answers[11]
    assert sum(b"\r\nconnection: close\r\n" in a for a in answers) >= 3
    # the ASGI path served every request on one port, and only what must await on the other
    assert len(asgi.asgi_calls) == len(expected)
    assert sorted(now.asgi_calls) == [
        "GET /health",
        "POST /txs",  # chunked
        "POST /txs",  # expect: 100-continue
        "POST /txs",  # a query string
        "POST /txs",  # injected latency
        "POST /txs",  # mode=commit
        "POST /txs",  # mode=commit, escaped
    ]


async def test_a_port_stopping_mid_body_answers_the_request_then_closes(
    bench_factory: Callable[..., Any],
) -> None:
    async with port(bench_factory, now=True) as node:
        reader, writer = await asyncio.open_connection(HOST, node.server.port)
        request = post(b'{"tx": {}, "extra": 1}', b"x-client-id: c1")
        writer.write(request[:-5])
        await writer.drain()
        await asyncio.sleep(0.2)  # the head is parsed: the body is awaited
        stopping = asyncio.create_task(node.server.stop())
        await asyncio.sleep(0.1)
        writer.write(request[-5:])
        async with asyncio.timeout(10):
            answer = await reader.read()  # everything until the node closes
            await stopping
        writer.close()
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"\r\nconnection: close\r\n" in answer
    assert answer.endswith(b"}")
    assert node.asgi_calls == []


async def test_a_bug_answered_at_once_is_a_500_and_the_port_keeps_serving(
    bench_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        """The gate, with a bug once it has the request's body."""

        def __init__(self, gate: AnswersNow) -> None:
            self.gate = gate

        def takes_now(self, method: str, path: str) -> bool:
            return self.gate.takes_now(method, path)

        def answer_now(self, scope: Scope, body: bytes) -> None:
            raise RuntimeError("a bug")

    async with port(bench_factory, now=True) as node:
        # patched where the port's protocol (Python) asks the gate: the gate itself may run
        # compiled (simnet/_compiled.py), where a patched method is not what its calls reach
        protocol: Any = node.server.config.http_protocol_class
        monkeypatch.setattr(protocol, "answers_now", Broken(protocol.answers_now))
        [answer] = await node.ask(post(b"{}", b"x-client-id: c1"))
        monkeypatch.undo()
        [after] = await node.ask(post(b"{}", b"x-client-id: c1"))
    assert answer.startswith(b"HTTP/1.1 500 ")
    assert orjson.loads(answer.split(b"\r\n\r\n", 1)[1])["message"] == "RuntimeError('a bug')"
    assert after.startswith(b"HTTP/1.1 400 ")  # the same connection, the next request
