"""HTTP vocabulary shared by the routes: orjson answers, the error answer, body and path parsing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from botruntime.chain.tx import JsonValue
from simnet._errors import Rejected, SimnetError

__all__ = [
    "JSON",
    "MAX_PARAM_INT",
    "error_response",
    "http_error_response",
    "json_body",
    "json_object",
    "json_response",
    "path_int",
    "query_int",
]

JSON: Final = "application/json"
_PARAM_DIGITS: Final = 18  # an integer in a path or query: what int64 holds, decimal digits only
MAX_PARAM_INT: Final = 10**_PARAM_DIGITS - 1


def json_response(
    content: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(orjson.dumps(content), status, headers, media_type=JSON)


def error_response(exc: SimnetError) -> Response:
    headers = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return json_response(exc.to_wire(), exc.status, headers)


async def json_body(request: Request, limit: int | None) -> Any:
    """The request's JSON, or Rejected: too large (tx_too_large) or not JSON (malformed)."""
    declared = request.headers.get("content-length")
    if limit is not None and declared is not None and declared.isdigit() and int(declared) > limit:
        raise Rejected("tx_too_large", f"the body is {declared} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise Rejected("tx_too_large", f"the body is over {limit} bytes")
        chunks.append(chunk)
    try:
        return orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise Rejected("malformed", f"the body is not JSON: {exc}") from None


def json_object(value: object, allowed: frozenset[str], what: str) -> dict[str, JsonValue]:
    if not isinstance(value, dict):
        raise Rejected("malformed", f"{what} is a JSON object")
    extra = sorted(set(value) - allowed)
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
