"""The control-plane transport: httpx, where convenience beats speed.

Never put a fleet on it (DESIGN §3: one httpx pool degrades with the number of connections).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from botruntime.chain._request import encode_body, request_headers
from botruntime.chain.errors import Unreachable
from botruntime.chain.transport import Answer, Method, TransportConfig

__all__ = ["HttpxTransport"]


class HttpxTransport:
    """httpx.AsyncClient with its own pool; the client is created on first use."""

    def __init__(self, config: TransportConfig) -> None:
        self.config = config
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._headers = {"X-Client-Id": config.client_id, "Accept": "application/json"}
        if not config.keep_alive:
            self._headers["Connection"] = "close"

    def _open(self) -> httpx.AsyncClient:
        if self._closed:
            raise RuntimeError("this transport is closed; create a new one")
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.config.root,
                timeout=httpx.Timeout(
                    self.config.request_timeout_s, connect=self.config.connect_timeout_s
                ),
                limits=httpx.Limits(
                    max_connections=self.config.pool_size,
                    max_keepalive_connections=self.config.pool_size
                    if self.config.keep_alive
                    else 0,
                    keepalive_expiry=self.config.keepalive_s,
                ),
                trust_env=False,
            )
        return self._client

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
        client = self._open()
        body = encode_body(json, content)
        sent = request_headers(self._headers, headers, min_height, body is not None, client_id)
        timeout: httpx.Timeout | httpx._client.UseClientDefault = (
            httpx.USE_CLIENT_DEFAULT
            if timeout_s is None
            else httpx.Timeout(timeout_s, connect=self.config.connect_timeout_s)
        )
        try:
            response = await client.request(
                method, path, content=body, headers=sent, timeout=timeout
            )
        except httpx.TimeoutException as exc:
            raise Unreachable(
                f"{method} {self.config.root}{path}: no answer in time ({type(exc).__name__}); "
                "raise request_timeout_s, or lower the load"
            ) from exc
        except httpx.TransportError as exc:
            raise Unreachable(
                f"{method} {self.config.root}{path}: {type(exc).__name__}: {exc}"
            ) from exc
        return Answer(response.status_code, response.headers, response.content)

    async def close(self) -> None:
        self._closed = True
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

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
