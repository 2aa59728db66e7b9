"""The lean hot-path transport: a keep-alive HTTP/1.1 pool on httptools' response parser.

Why it exists: a bot's request is a small JSON POST to one known node, over plain HTTP on a
trusted network; aiohttp spends most of its time on what that never needs (URL objects,
cookie jars, redirects, multidict headers, stream readers). `bench/transport.py` measures
the difference in the same run. What it does not do: TLS, proxies, redirects, compression,
HTTP/2 (`fast_transport` hands `https://` URLs to aiohttp).

At most `pool_size` connections exist; a request takes an idle one (most recently used
first, so few stay warm) or opens one, and gives it back only if the answer allows
keep-alive. A timed-out or failed request aborts its connection: a late answer can never be
read as the answer to the next request. With `config.keep_alive` False, every request opens a
connection, says `Connection: close` and closes it (a FIN, not a reset) once answered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httptools

from botruntime.chain._request import encode_body
from botruntime.chain.errors import ProtocolViolation, Unreachable
from botruntime.chain.transport import Answer, Method, TransportConfig, check_client_id

__all__ = ["H1Transport"]


class _Headers(dict[str, str]):
    """Answer headers with lower-cased keys; lookups are case-insensitive."""

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return dict.get(self, key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class _Connection(asyncio.Protocol):
    """One TCP connection; one request at a time (no pipelining)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._headers = _Headers()
        self._body: list[bytes] = []
        self._status = 0
        self.keep_alive = False
        self.lost = False
        self.last_used = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ProtocolViolation(f"not a valid HTTP/1.1 answer: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        reason = f": {exc}" if exc else ""
        self._fail(ConnectionResetError(f"the node closed the connection before answering{reason}"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self.keep_alive = self._parser.should_keep_alive()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    async def exchange(self, request: bytes, deadline: float) -> Answer:
        """Send `request` and wait for its answer until `deadline` (the loop's clock), then
        TimeoutError. One timer handle per request: `asyncio.timeout` costs several times
        more (a context object, the task's cancellation), and this is the hot path."""
        if self._transport is None or self.lost:
            raise ConnectionResetError("the connection is closed")
        self._headers = _Headers()
        self._body = []
        self._waiter = waiter = self._loop.create_future()
        timer = self._loop.call_at(deadline, self._time_out)
        try:
            self._transport.write(request)
            await waiter
        finally:
            timer.cancel()
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        return Answer(self._status, self._headers, body)

    def _time_out(self) -> None:
        self._fail(TimeoutError())

    def abort(self) -> None:
        self.lost = True
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        """Hang up after a complete answer: the node sees an orderly close (EOF)."""
        self.lost = True
        if self._transport is not None:
            self._transport.close()


class H1Transport:
    """A pool of at most `config.pool_size` keep-alive connections to one `http://` node."""

    def __init__(self, config: TransportConfig) -> None:
        url = urlsplit(config.root)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"H1Transport speaks plain http:// only, got {config.base_url!r}")
        self.config = config
        self._host = url.hostname
        self._port = url.port or 80
        self._prefix = url.path.rstrip("/")
        hang_up = "" if config.keep_alive else "Connection: close\r\n"
        self._fixed = f"Host: {url.netloc}\r\nAccept: application/json\r\n{hang_up}".encode(
            "latin-1"
        )
        self._client_line = self._client_id_line(config.client_id)
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(config.pool_size)
        self._closed = False

    @staticmethod
    def _client_id_line(client_id: str) -> bytes:
        return f"X-Client-Id: {check_client_id(client_id)}\r\n".encode("latin-1")

    def _encode(
        self,
        method: Method,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str] | None,
        min_height: int | None,
        client_id: str | None = None,
    ) -> bytes:
        parts = [
            f"{method} {self._prefix}{path} HTTP/1.1\r\n".encode("latin-1"),
            self._fixed,
            self._client_line if client_id is None else self._client_id_line(client_id),
        ]
        if body is not None:
            parts.append(b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body))
        elif method in ("POST", "PUT"):
            parts.append(b"Content-Length: 0\r\n")
        if min_height is not None:
            parts.append(b"X-Min-Height: %d\r\n" % min_height)
        if headers:
            for name, value in headers.items():
                if any(c in name + value for c in "\r\n"):
                    raise ValueError(f"header {name!r} must not contain CR or LF")
                parts.append(f"{name}: {value}\r\n".encode("latin-1"))
        parts.append(b"\r\n")
        if body is not None:
            parts.append(body)
        return b"".join(parts)

    def _warm(self, now: float) -> _Connection | None:
        """The most recently used idle connection still worth keeping, if any."""
        while self._idle:
            conn = self._idle.pop()
            if not conn.lost and now - conn.last_used < self.config.keepalive_s:
                return conn
            conn.abort()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Connection:
        timeout_at = min(deadline, loop.time() + self.config.connect_timeout_s)
        async with asyncio.timeout_at(timeout_at):
            _, conn = await loop.create_connection(
                lambda: _Connection(loop), self._host, self._port
            )
        return conn

    async def request(
        self,
        method: Method,
        path: str,
        *,
        json: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        min_height: int | None = None,
        timeout_s: float | None = None,
        client_id: str | None = None,
    ) -> Answer:
        if self._closed:
            raise RuntimeError("this transport is closed; create a new one")
        body = encode_body(json, content)
        wire = self._encode(method, path, body, headers, min_height, client_id)
        limit = self.config.request_timeout_s if timeout_s is None else timeout_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        slots = self._slots
        try:
            # a wait (for a free slot, for a new connection) is bounded by the deadline too;
            # only a request that waits pays for `asyncio.timeout_at`
            if slots.locked():
                async with asyncio.timeout_at(deadline):
                    await slots.acquire()
            else:
                await slots.acquire()  # free: returns at once
            try:
                conn = self._warm(time.monotonic()) or await self._connect(loop, deadline)
                try:
                    answer = await conn.exchange(wire, deadline)
                except BaseException:
                    conn.abort()  # a late answer must never meet the next request
                    raise
                if not self.config.keep_alive:
                    conn.close()
                elif conn.keep_alive and not conn.lost and not self._closed:
                    conn.last_used = time.monotonic()
                    self._idle.append(conn)
                else:
                    conn.abort()
                return answer
            finally:
                slots.release()
        except TimeoutError as exc:
            raise Unreachable(
                f"{method} {self.config.root}{path}: no answer within {limit} s "
                "(raise request_timeout_s, or lower the load)"
            ) from exc
        except OSError as exc:  # refused, reset, unreachable host: no answer
            raise Unreachable(
                f"{method} {self.config.root}{path}: {type(exc).__name__}: {exc}"
            ) from exc

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.abort()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
