"""The hot-path transport: one aiohttp session with a keep-alive pool sized by the caller.

Cookies, auto headers and decompression are off: bots talk JSON to a node, and every skipped
step is throughput (DESIGN §3). The session is created on first use, inside the running loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import aiohttp

from botruntime.chain._request import encode_body, request_headers
from botruntime.chain.errors import ProtocolViolation, Unreachable
from botruntime.chain.transport import Answer, Method, TransportConfig

__all__ = ["AiohttpTransport"]


class AiohttpTransport:
    """aiohttp + orjson; `config.pool_size` connections kept alive to one node."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self._root = config.root
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._headers = {"X-Client-Id": config.client_id, "Accept": "application/json"}
        if not config.keep_alive:
            self._headers["Connection"] = "close"
        self._timeout = aiohttp.ClientTimeout(
            total=config.request_timeout_s, connect=config.connect_timeout_s
        )

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this transport is closed; create a new one")
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.config.pool_size,
                limit_per_host=self.config.pool_size,
                keepalive_timeout=self.config.keepalive_s if self.config.keep_alive else None,
                force_close=not self.config.keep_alive,
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
                auto_decompress=False,
                raise_for_status=False,
            )
        return self._session

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
        session = self._open()
        body = encode_body(json, content)
        sent = request_headers(self._headers, headers, min_height, body is not None, client_id)
        timeout = (
            self._timeout
            if timeout_s is None
            else aiohttp.ClientTimeout(total=timeout_s, connect=self.config.connect_timeout_s)
        )
        url = self._root + path
        try:
            async with session.request(
                method, url, data=body, headers=sent, timeout=timeout
            ) as response:
                data = await response.read()
                return Answer(response.status, response.headers, data)
        except TimeoutError as exc:
            raise Unreachable(
                f"{method} {url}: no answer within {timeout.total} s "
                "(raise request_timeout_s, or lower the load)"
            ) from exc
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise Unreachable(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientResponseError as exc:
            raise ProtocolViolation(
                f"{method} {url}: not a valid HTTP answer: {exc}", status=exc.status
            ) from exc

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def __aenter__(self) -> Self:
        self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
