"""How chain clients reach a node: one small interface, a fast and a convenient implementation.

DESIGN §3 measured why there are two: httpx is pleasant but cannot carry the fleet (≈1.9k
signed submissions/s on one core, and its pool collapses with many connections), so the hot
path goes through `fast_transport` and control-plane calls (simnet control, tests) through
`control_transport` (httpx). `bench/transport.py` re-measures them against a bare aiohttp call.

A transport sends bytes and returns the answer as it came (`Answer`): status, headers, body.
It raises `Unreachable` when there is no answer at all (connect error, timeout, the connection
dropped mid-answer) and nothing else; turning an error answer into a typed `Rejected` is the
client edge's job (`botruntime.chain._edge`, via `errors.error_from_answer`).

Every request carries `X-Client-Id` (rate limits key on it) and, when asked, `X-Min-Height`.
The id travels with each request (`client_id=`), so one pool serves many clients: each bot is
its own client to the network (DESIGN §5) while a worker keeps one pool per node.

`keep_alive=False` makes any transport the client that pools nothing: every request opens its
own connection, says `Connection: close`, and closes it once answered (SCENARIOS.md R5's
churners). `pool_size` then bounds the connections open at once.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Protocol, Self

from botruntime.chain.errors import ProtocolViolation

__all__ = [
    "Answer",
    "Method",
    "Transport",
    "TransportConfig",
    "check_client_id",
    "control_transport",
    "fast_transport",
    "parse_retry_after",
]

Method = Literal["GET", "POST", "PUT", "DELETE"]


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """Where and how to connect. One transport (one pool) per node and per worker."""

    base_url: str
    client_id: str = "testbots"  # the X-Client-Id of requests that name no other
    pool_size: int = 64  # connections kept alive to this node
    connect_timeout_s: float = 5.0
    request_timeout_s: float = 10.0  # whole request: connect + send + answer
    keepalive_s: float = 30.0
    keep_alive: bool = True  # False: a new connection per request, `Connection: close`

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(
                f"base_url must start with http:// or https://, got {self.base_url!r} "
                "(e.g. http://127.0.0.1:26600)"
            )
        if self.pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {self.pool_size}")
        if self.connect_timeout_s <= 0 or self.request_timeout_s <= 0:
            raise ValueError("connect_timeout_s and request_timeout_s must be > 0")
        check_client_id(self.client_id)

    @property
    def root(self) -> str:
        """The base URL without a trailing slash; a path starts with '/'."""
        return self.base_url.rstrip("/")


def check_client_id(client_id: str) -> str:
    """`client_id` if it can be an `X-Client-Id` header (non-empty printable ASCII, so no CR or
    LF can split the request), else ValueError."""
    if not client_id or not (client_id.isascii() and client_id.isprintable()):
        raise ValueError(f"client_id must be non-empty printable ASCII, got {client_id!r}")
    return client_id


def parse_retry_after(value: str | None, *, now_s: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        now = time.time() if now_s is None else now_s
        return max(0.0, when.timestamp() - now)
    return max(0.0, seconds) if seconds == seconds else None  # NaN is no answer


class Answer:
    """A node's answer, untouched: status, headers (case-insensitive) and the body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def height(self) -> int | None:
        """`X-Height`: the height the node served this answer at (None if absent)."""
        raw = self.headers.get("X-Height")
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise ProtocolViolation(
                f"X-Height must be an integer, got {raw!r}", status=self.status
            ) from None

    @property
    def retry_after_s(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))

    def __repr__(self) -> str:
        return f"<Answer {self.status} {len(self.body)} bytes>"


class Transport(Protocol):
    """Sends one HTTP request to one node and returns its `Answer`; raises only Unreachable."""

    config: TransportConfig

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
        """`json` is encoded with orjson; `content` sends bytes as they are (e.g. re-encoded).
        `client_id` is who asks (`X-Client-Id`, checked by `check_client_id`); None is
        `config.client_id`."""
        ...

    async def close(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def fast_transport(config: TransportConfig) -> Transport:
    """The hot-path transport: a keep-alive pool of `pool_size` connections.

    Plain `http://` gets the lean HTTP/1.1 pool on httptools (about 2x aiohttp's requests/s
    on one core, bench/transport.py); `https://` gets aiohttp with orjson.
    """
    if config.base_url.startswith("http://"):
        from botruntime.chain._h1 import H1Transport

        return H1Transport(config)
    from botruntime.chain._aiohttp import AiohttpTransport

    return AiohttpTransport(config)


def control_transport(config: TransportConfig) -> Transport:
    """httpx, for control-plane calls where convenience beats speed (never for the fleet)."""
    from botruntime.chain._httpx import HttpxTransport

    return HttpxTransport(config)
