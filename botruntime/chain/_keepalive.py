"""Keep-alive hygiene seen from one connection: does a node close an idle connection after
its idle timeout, and does it end a connection after the requests it says one may carry?

A pool hides both (it reopens what the node closed), so these probes hold one raw connection
of their own and watch it: SCENARIOS.md R5 C4. Each request is `GET /health`, the cheapest
read a node serves, sent after the previous answer (no pipelining). Transport failures raise
`Unreachable`, as every transport does.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

import httptools

from botruntime.chain.errors import ProtocolViolation, Unreachable

__all__ = ["idle_closed_after_s", "requests_until_close"]


class _Answers:
    """httptools callbacks: whether the answer in hand is complete and lets the link live."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.complete = False
        self.keep_alive = True

    def on_message_begin(self) -> None:
        self.complete = False

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()


class _Link:
    """One connection to a node's `base_url` carrying `X-Client-Id: client_id`."""

    def __init__(self, base_url: str, client_id: str) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"keep-alive probes speak plain http:// only, got {base_url!r}")
        self.host, self.port = url.hostname, url.port or 80
        self.request = (
            f"GET {url.path.rstrip('/')}/health HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"X-Client-Id: {client_id}\r\n\r\n"
        ).encode("latin-1")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, timeout_s: float) -> None:
        try:
            async with asyncio.timeout(timeout_s):
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError) as exc:
            raise Unreachable(f"{self.host}:{self.port}: cannot connect: {exc!r}") from exc

    async def ask(self, timeout_s: float) -> bool | None:
        """One request and its answer: True if the answer lets the connection live, False if
        it says `Connection: close`, None if the node closed before answering."""
        assert self.reader is not None and self.writer is not None
        answers = _Answers()
        try:
            async with asyncio.timeout(timeout_s):
                self.writer.write(self.request)
                await self.writer.drain()
                while not answers.complete:
                    data = await self.reader.read(65536)
                    if not data:
                        return None
                    answers.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolViolation(f"not a valid HTTP/1.1 answer: {exc}") from exc
        except (ConnectionError, TimeoutError) as exc:
            raise Unreachable(f"{self.host}:{self.port}: no answer: {exc!r}") from exc
        return answers.keep_alive

    async def closed_within(self, wait_s: float) -> float | None:
        """Seconds until the node closed this idle connection, or None if still open."""
        assert self.reader is not None
        started = time.monotonic()
        try:
            async with asyncio.timeout(wait_s):
                while await self.reader.read(65536):
                    pass  # nothing is due on an idle connection: keep waiting for EOF
        except TimeoutError:
            return None
        except ConnectionError:
            pass  # a reset is a close too
        return time.monotonic() - started

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except ConnectionError:
                pass


async def idle_closed_after_s(
    base_url: str, client_id: str, *, wait_s: float, timeout_s: float = 10.0
) -> float | None:
    """Ask once on a new connection, then leave it idle: the seconds until the node closed it,
    or None if it was still open after `wait_s`."""
    link = _Link(base_url, client_id)
    await link.open(timeout_s)
    try:
        if not await link.ask(timeout_s):
            return 0.0  # closed with (or before) the first answer: nothing left idle
        return await link.closed_within(wait_s)
    finally:
        await link.close()


async def requests_until_close(
    base_url: str, client_id: str, *, limit: int, timeout_s: float = 10.0
) -> int | None:
    """Ask up to `limit` times on one connection: how many answers came until one said
    `Connection: close` (or the node hung up), or None if all `limit` kept it alive."""
    link = _Link(base_url, client_id)
    await link.open(timeout_s)
    try:
        for asked in range(1, limit + 1):
            alive = await link.ask(timeout_s)
            if alive is None:
                return asked - 1
            if not alive:
                return asked
        return None
    finally:
        await link.close()
