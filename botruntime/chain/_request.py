"""The parts of a request every transport sends the same way: body bytes and headers."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

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
) -> dict[str, str]:
    headers = dict(base)
    if has_body:
        headers["Content-Type"] = "application/json"
    if min_height is not None:
        headers["X-Min-Height"] = str(min_height)
    if extra:
        headers.update(extra)
    return headers
