"""Both transports against a real aiohttp server on a loopback port: headers, keep-alive,
pool size, timeouts, 429/503 answers passed through, and no answer raised as Unreachable."""

import asyncio
import socket
from collections.abc import AsyncIterator, Callable

import orjson
import pytest
from aiohttp import web

from botruntime.chain._aiohttp import AiohttpTransport
from botruntime.chain._h1 import H1Transport
from botruntime.chain._httpx import HttpxTransport
from botruntime.chain.errors import ProtocolViolation, Unreachable
from botruntime.chain.transport import (
    Transport,
    TransportConfig,
    control_transport,
    fast_transport,
    parse_retry_after,
)

pytestmark = pytest.mark.anyio

Factory = Callable[[TransportConfig], Transport]
FACTORIES = pytest.mark.parametrize(
    "make", [H1Transport, AiohttpTransport, HttpxTransport], ids=["h1", "aiohttp", "httpx"]
)


class Server:
    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []
        self.url = ""

    async def echo(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        payload = {
            "method": request.method,
            "client_id": request.headers.get("X-Client-Id"),
            "min_height": request.headers.get("X-Min-Height"),
            "content_type": request.headers.get("Content-Type"),
            "body": (await request.read()).decode(),
        }
        return web.Response(body=orjson.dumps(payload), headers={"X-Height": "41"})

    async def slow(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        await asyncio.sleep(float(request.query.get("s", "0.1")))
        return web.Response(body=b"{}", headers={"X-Height": "1"})

    async def limited(self, request: web.Request) -> web.Response:
        error = {"code": "rate_limited", "codespace": "", "message": "slow down", "details": {}}
        return web.Response(status=429, body=orjson.dumps(error), headers={"Retry-After": "3"})

    async def close(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return web.Response(body=b'{"n": 1}', headers={"Connection": "close"})

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"X-Height": "8"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b'{"parts": ', b"[1, 2, ", b"3]}"):
            await response.write(part)
        await response.write_eof()
        return response

    async def down(self, request: web.Request) -> web.Response:
        return web.Response(status=503, body=b"", headers={"Retry-After": "1"})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    app = web.Application()
    app.router.add_route("*", "/echo", srv.echo)
    app.router.add_get("/slow", srv.slow)
    app.router.add_post("/limited", srv.limited)
    app.router.add_get("/down", srv.down)
    app.router.add_get("/close", srv.close)
    app.router.add_get("/chunked", srv.chunked)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    srv.url = f"http://{host}:{port}"
    try:
        yield srv
    finally:
        await runner.cleanup()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@FACTORIES
async def test_every_request_carries_the_client_id_and_min_height(
    make: Factory, server: Server
) -> None:
    async with make(TransportConfig(server.url, client_id="worker-7")) as transport:
        answer = await transport.request("POST", "/echo", json={"tx": {"n": 1}}, min_height=40)
        plain = await transport.request("GET", "/echo")
    assert answer.status == 200 and answer.ok
    assert answer.height == 41
    seen = orjson.loads(answer.body)
    assert seen["client_id"] == "worker-7"
    assert seen["min_height"] == "40"
    assert seen["content_type"] == "application/json"
    assert orjson.loads(seen["body"]) == {"tx": {"n": 1}}
    assert orjson.loads(plain.body)["min_height"] is None


@FACTORIES
async def test_one_pool_carries_each_callers_client_id(make: Factory, server: Server) -> None:
    """Two bots on one pool (one connection here) are two clients to the node."""
    async with make(TransportConfig(server.url, client_id="worker-7", pool_size=1)) as transport:
        seen = [
            orjson.loads((await transport.request("GET", "/echo", client_id=who)).body)
            for who in ("run-bot1", "run-bot2", None, "run-bot1")
        ]
    assert [s["client_id"] for s in seen] == ["run-bot1", "run-bot2", "worker-7", "run-bot1"]
    assert len(set(server.peers)) == 1  # the same keep-alive connection served every caller


@FACTORIES
async def test_a_client_id_that_could_split_the_request_is_refused(
    make: Factory, server: Server
) -> None:
    async with make(TransportConfig(server.url)) as transport:
        for bad in ("", "a\r\nX-Evil: 1", "bot\u00e9"):
            with pytest.raises(ValueError, match="printable ASCII"):
                await transport.request("GET", "/echo", client_id=bad)
        assert (await transport.request("GET", "/echo")).ok  # the pool is still usable
    assert len(server.peers) == 1


@FACTORIES
async def test_content_is_sent_byte_for_byte(make: Factory, server: Server) -> None:
    raw = b'{ "tx" : 1 ,"mode":"sync" }'
    async with make(TransportConfig(server.url)) as transport:
        answer = await transport.request("POST", "/echo", content=raw)
        with pytest.raises(ValueError, match="either json= or content="):
            await transport.request("POST", "/echo", content=raw, json={"a": 1})
    assert orjson.loads(answer.body)["body"] == raw.decode()


@FACTORIES
async def test_sequential_requests_reuse_one_connection(make: Factory, server: Server) -> None:
    async with make(TransportConfig(server.url)) as transport:
        for _ in range(20):
            assert (await transport.request("GET", "/echo")).status == 200
    assert len(server.peers) == 20
    assert len(set(server.peers)) == 1


@FACTORIES
async def test_the_pool_never_opens_more_than_pool_size_connections(
    make: Factory, server: Server
) -> None:
    async with make(TransportConfig(server.url, pool_size=3)) as transport:
        async with asyncio.TaskGroup() as tg:
            for i in range(12):
                tg.create_task(transport.request("GET", "/slow?s=0.05"), name=f"req-{i}")
    assert len(server.peers) == 12
    assert 1 <= len(set(server.peers)) <= 3


@FACTORIES
async def test_a_slow_node_raises_unreachable_within_the_timeout(
    make: Factory, server: Server
) -> None:
    config = TransportConfig(server.url, request_timeout_s=0.2)
    async with make(config) as transport:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(Unreachable, match="no answer"):
            await transport.request("GET", "/slow?s=3")
        assert loop.time() - started < 2.0
        with pytest.raises(Unreachable):  # a per-call timeout overrides the configured one
            await transport.request("GET", "/slow?s=3", timeout_s=0.1)
        after = await transport.request("GET", "/echo")  # a late answer is never read as this one
        assert orjson.loads(after.body)["method"] == "GET"


@FACTORIES
async def test_a_closed_port_raises_unreachable(make: Factory) -> None:
    config = TransportConfig(f"http://127.0.0.1:{free_port()}", connect_timeout_s=1.0)
    async with make(config) as transport:
        with pytest.raises(Unreachable, match=r"127\.0\.0\.1"):
            await transport.request("GET", "/status")


@FACTORIES
async def test_429_and_503_are_answers_with_retry_after(make: Factory, server: Server) -> None:
    async with make(TransportConfig(server.url)) as transport:
        limited = await transport.request("POST", "/limited", json={})
        down = await transport.request("GET", "/down")
    assert (limited.status, limited.retry_after_s) == (429, 3.0)
    assert orjson.loads(limited.body)["code"] == "rate_limited"
    assert (down.status, down.retry_after_s, down.height) == (503, 1.0, None)


@FACTORIES
async def test_a_closed_transport_refuses_new_requests(make: Factory, server: Server) -> None:
    transport = make(TransportConfig(server.url))
    await transport.request("GET", "/echo")
    await transport.close()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.request("GET", "/echo")


def test_retry_after_parses_seconds_and_http_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 0.5 ") == 0.5
    assert parse_retry_after("-2") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    date = "Wed, 21 Oct 2015 07:28:10 GMT"  # 1445412490
    assert parse_retry_after(date, now_s=1445412480.0) == 10.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base_url": "127.0.0.1:26600"},
        {"base_url": "http://x", "pool_size": 0},
        {"base_url": "http://x", "request_timeout_s": 0},
        {"base_url": "http://x", "client_id": ""},
    ],
)
def test_config_refuses_nonsense_and_names_the_fix(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        TransportConfig(**kwargs)  # type: ignore[arg-type]


def test_fast_transport_picks_the_lean_pool_for_http_and_aiohttp_for_https() -> None:
    assert isinstance(fast_transport(TransportConfig("http://127.0.0.1:1")), H1Transport)
    assert isinstance(fast_transport(TransportConfig("https://node.example")), AiohttpTransport)
    assert isinstance(control_transport(TransportConfig("http://127.0.0.1:1")), HttpxTransport)


@FACTORIES
async def test_connection_close_answers_are_not_reused(make: Factory, server: Server) -> None:
    async with make(TransportConfig(server.url)) as transport:
        for _ in range(3):
            answer = await transport.request("GET", "/close")
            assert orjson.loads(answer.body) == {"n": 1}
    assert len(set(server.peers)) == 3


@FACTORIES
async def test_chunked_answers_are_joined(make: Factory, server: Server) -> None:
    async with make(TransportConfig(server.url)) as transport:
        answer = await transport.request("GET", "/chunked")
    assert orjson.loads(answer.body) == {"parts": [1, 2, 3]}
    assert answer.height == 8


async def raw_server(reply: bytes) -> tuple[asyncio.Server, str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def test_h1_a_garbage_answer_is_a_protocol_violation() -> None:
    server, url = await raw_server(b"SPDY/9 what\r\n\r\n")
    async with server, H1Transport(TransportConfig(url)) as transport:
        with pytest.raises(ProtocolViolation, match="HTTP"):
            await transport.request("GET", "/status")


@FACTORIES
async def test_an_answer_cut_short_is_unreachable(make: Factory) -> None:
    server, url = await raw_server(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"par')
    async with server, make(TransportConfig(url)) as transport:
        with pytest.raises(Unreachable):
            await transport.request("GET", "/status")


def test_h1_refuses_https_and_header_injection() -> None:
    with pytest.raises(ValueError, match="http://"):
        H1Transport(TransportConfig("https://node.example"))
    with pytest.raises(ValueError, match="printable"):
        TransportConfig("http://x", client_id="a\r\nX-Evil: 1")
