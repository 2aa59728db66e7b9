"""HTTP vocabulary shared by the routes: orjson answers, the error answer, body and path parsing.

Most routes take a Starlette `Request` and return a `Response`. The hot path (`POST /txs`) is an
`AsgiEndpoint` instead: it reads the body from `receive` and answers through `send` itself,
which saves the Request/Response objects and their adapter (measured ~20 µs of simnet CPU per
submitted tx, see bench/simnet_capacity.py), with the same bytes on the wire. An `Answer` is a
whole answer as data: the port writes it itself when the request needs no ASGI cycle
(simnet/_transport.py), `send_answer` sends it through ASGI otherwise.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, NamedTuple

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from botruntime.chain.tx import JsonValue
from simnet._errors import Rejected, SimnetError

__all__ = [
    "JSON",
    "MAX_PARAM_INT",
    "Answer",
    "AsgiEndpoint",
    "answer_of",
    "bug_response",
    "error_response",
    "http_error_response",
    "json_answer",
    "json_body",
    "json_object",
    "json_response",
    "parse_json",
    "path_int",
    "query_int",
    "read_json",
    "send_answer",
    "send_json",
]

JSON: Final = "application/json"
_PARAM_DIGITS: Final = 18  # an integer in a path or query: what int64 holds, decimal digits only
MAX_PARAM_INT: Final = 10**_PARAM_DIGITS - 1
_JSON_HEADER: Final = (b"content-type", JSON.encode())


class AsgiEndpoint:
    """A route endpoint called with (scope, receive, send) as is: Starlette wraps a function or
    method in its Request/Response adapter, but calls any other object directly. Refusals
    raised inside still reach the app's exception handlers."""

    __slots__ = ("handle",)

    def __init__(self, handle: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.handle = handle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.handle(scope, receive, send)


class Answer(NamedTuple):
    """A whole answer as it goes out: status, headers (lower-case names) and body. The hot
    path writes it from the HTTP protocol itself, an `AsgiEndpoint` sends it through ASGI."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


def json_answer(content: object, status: int = 200) -> Answer:
    """What `json_response(content, status)` sends, without building the Response."""
    body = orjson.dumps(content)
    return Answer(status, [(b"content-length", b"%d" % len(body)), _JSON_HEADER], body)


def answer_of(response: Response) -> Answer:
    """A Response's status, headers and body, exactly as its ASGI call sends them."""
    return Answer(response.status_code, list(response.raw_headers), bytes(response.body))


def json_response(
    content: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type=JSON)


def error_response(exc: SimnetError) -> Response:
    headers = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return json_response(exc.to_wire(), exc.status, headers)


def bug_response(exc: Exception) -> Response:
    """The 500 of an exception no route expected: a bug in simnet (PROTOCOL.md)."""
    body = {"code": "unavailable", "codespace": "simnet", "message": repr(exc), "details": {}}
    return json_response(body, 500)


async def send_answer(send: Send, answer: Answer) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


async def send_json(send: Send, content: object, status: int = 200) -> None:
    """What `json_response(content, status)` sends, without building the Response."""
    await send_answer(send, json_answer(content, status))


async def json_body(request: Request, limit: int | None) -> Any:
    """The request's JSON, or Rejected: too large (tx_too_large) or not JSON (malformed)."""
    return await read_json(request.scope, request.receive, limit)


async def read_json(scope: Scope, receive: Receive, limit: int | None) -> Any:
    """`json_body` for an `AsgiEndpoint`: the body read from `receive`, checked the same way."""
    _check_declared_length(scope, limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect()  # as Request.stream() does: no answer is sent
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _over_limit(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return _loads(chunks[0] if len(chunks) == 1 else b"".join(chunks))


def parse_json(scope: Scope, body: bytes, limit: int | None) -> Any:
    """`read_json` of a body already read whole: the same checks, the same refusals."""
    _check_declared_length(scope, limit)
    if limit is not None and len(body) > limit:
        raise _over_limit(limit)
    return _loads(body)


def _check_declared_length(scope: Scope, limit: int | None) -> None:
    if limit is not None:
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > limit:
                    raise Rejected(
                        "tx_too_large", f"the body is {value.decode()} bytes; the limit is {limit}"
                    )
                break


def _over_limit(limit: int) -> Rejected:
    return Rejected("tx_too_large", f"the body is over {limit} bytes")


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Rejected("malformed", f"the body is not JSON: {exc}") from None


def json_object(value: object, allowed: frozenset[str], what: str) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise Rejected("malformed", f"{what} is a JSON object")
    extra = [] if value.keys() <= allowed else sorted(set(value) - allowed)
    if extra:
        raise Rejected(
            "unknown_field", f"{what}: unknown field {extra[0]!r}; allowed: {sorted(allowed)}"
        )
    return value


def http_error_response(request: Request, exc: HTTPException) -> Response:
    """Starlette's own refusals (no route, wrong method) as the protocol's error answer. A 405
    carries `Allow` (RFC 9110): every method the routes at the path serve, so a path two
    routes share (`GET /txs`, `POST /txs`) lists both, not only the first route's; where a
    parameter would also match (`/txs/{hash}` at `/txs/simulate`), the literal route's alone."""
    code = "not_found" if exc.status_code == 404 else "malformed"
    message = f"{request.method} {request.url.path}: {exc.detail}"
    body = {"code": code, "codespace": "api", "message": message, "details": {}}
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        by_params: dict[int, set[str]] = {}  # a literal segment owns its path: fewest parameters
        for route in request.app.router.routes:
            if not isinstance(route, Route):
                continue
            match, child = route.matches(request.scope)
            if match == Match.PARTIAL:
                by_params.setdefault(len(child["path_params"]), set()).update(route.methods or ())
        if by_params:
            headers["Allow"] = ", ".join(sorted(by_params[min(by_params)]))
    return json_response(body, exc.status_code, headers)


def _int_text(text: object) -> bool:
    return (
        isinstance(text, str) and text.isascii() and text.isdigit() and len(text) <= _PARAM_DIGITS
    )


def path_int(request: Request, name: str) -> int:
    text = request.path_params[name]
    if not _int_text(text):
        raise Rejected("malformed", f"{name} is a non-negative integer, got {text!r}")
    return int(text)


def query_int(request: Request, name: str, default: int, maximum: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not _int_text(text):
        raise Rejected("malformed", f"?{name}= is a non-negative integer, got {text!r}")
    return min(int(text), maximum)
