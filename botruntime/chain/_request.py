"""The parts of a request every transport sends the same way: body bytes and headers."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from botruntime.chain.transport import check_client_id

__all__ = ["encode_body", "request_headers"]


def encode_body(json: object, content: bytes | None) -> bytes | None:
    """`content` as given, else `json` encoded with orjson (UTF-8, no spaces), else no body."""
    if content is not None:
        if json is not None:
            raise ValueError("give either json= or content=, not both")
        return content
    if json is None:
        return None
    return orjson.dumps(json)


def request_headers(
    base: Mapping[str, str],
    extra: Mapping[str, str] | None,
    min_height: int | None,
    has_body: bool,
    client_id: str | None = None,
) -> dict[str, str]:
    """`base` plus what this request adds; `client_id` replaces the base's `X-Client-Id`."""
    headers = dict(base)
    if client_id is not None:
        headers["X-Client-Id"] = check_client_id(client_id)
    if has_body:
        headers["Content-Type"] = "application/json"
    if min_height is not None:
        headers["X-Min-Height"] = str(min_height)
    if extra:
        headers.update(extra)
    return headers
