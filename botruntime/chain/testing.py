"""A `Transport` without a network, for tests: a handler plays the node.

Like `httpx.MockTransport`: every request becomes a `Request` (what a node would see: method,
path, body, `X-Client-Id`, `X-Min-Height`), the handler returns the `Answer` (or raises, e.g.
`Unreachable`), and the transport keeps every request it was given.

    def node(request: Request) -> Answer:
        assert request.path == "/health"
        return answer({"ok": True}, height=7)

    async with HttpAlphaClient(transport=MockTransport(node), chain_id="alpha-1") as alpha:
        assert (await alpha.health()).ok
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

import orjson

from botruntime.chain._request import encode_body
from botruntime.chain.transport import Answer, Method, TransportConfig, check_client_id
from botruntime.chain.tx import JsonValue

__all__ = ["Handler", "MockTransport", "Request", "answer", "error_answer", "replies"]


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the node would receive it."""

    method: Method
    path: str
    body: bytes | None
    client_id: str  # the X-Client-Id it carried
    min_height: int | None = None
    timeout_s: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # the caller's extra headers

    def json(self) -> JsonValue:
        """The body decoded (None without a body)."""
        return None if self.body is None else orjson.loads(self.body)


Handler = Callable[[Request], Answer | Awaitable[Answer]]
"""Plays the node: returns (or awaits) the answer to one request, or raises `Unreachable`."""


class MockTransport:
    """A `Transport` whose node is `handler`; `requests` lists what was sent, in order."""

    def __init__(self, handler: Handler, config: TransportConfig | None = None) -> None:
        self.config = config or TransportConfig("http://mock")
        self.handler = handler
        self.requests: list[Request] = []
        self.closed = False

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
        if self.closed:
            raise RuntimeError("this transport is closed; create a new one")
        sent = Request(
            method,
            path,
            encode_body(json, content),
            self.config.client_id if client_id is None else check_client_id(client_id),
            min_height,
            timeout_s,
            dict(headers or {}),
        )
        self.requests.append(sent)
        reply = self.handler(sent)
        return await reply if inspect.isawaitable(reply) else reply

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def answer(
    payload: object,
    *,
    status: int = 200,
    height: int | None = 10,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    """A JSON answer; `height` is its `X-Height` (None: no header)."""
    sent = dict(headers or {})
    if height is not None:
        sent["X-Height"] = str(height)
    return Answer(status, sent, orjson.dumps(payload))


def error_answer(
    status: int,
    code: str,
    details: Mapping[str, JsonValue] | None = None,
    *,
    retry_after: str | None = None,
    height: int | None = 10,
) -> Answer:
    """A PROTOCOL.md error answer: `{"code", "codespace", "message", "details"}`."""
    body = {"code": code, "codespace": "", "message": code, "details": dict(details or {})}
    extra = {} if retry_after is None else {"Retry-After": retry_after}
    return answer(body, status=status, height=height, headers=extra)


def replies(*answers: Answer | Exception) -> Handler:
    """A node that gives `answers` in turn, whatever is asked; an exception is raised."""
    queue = list(answers)

    def next_answer(request: Request) -> Answer:
        if not queue:
            raise AssertionError(f"no answer left for {request.method} {request.path}")
        reply = queue.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return next_answer
