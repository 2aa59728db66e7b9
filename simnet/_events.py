"""`GET /events/stream?types=block,tx,pending_tx&from_height=H`: server-sent events of one node.

Block and tx events are read from the chain's own history at the consumer's pace, so a slow
consumer is never dropped from and a reconnect with `from_height` (or `Last-Event-ID`) resumes
with no gap and no duplicate. For each block the stream sends its `tx` events, then the `block`
event, whose `id:` is the height: a block event marks that height complete. Pending txs are
not replayable; each subscriber buffers up to `PENDING_BUFFER` of them and, past that, gets an
explicit `gap` event with the number lost. Under `stream_lossy` a consumer more than one block
behind silently skips to the newest block, and pending overflow is dropped without a word.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import JsonValue
from simnet._blocks import rfc3339
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._http import MAX_PARAM_INT, query_int
from simnet._network import Network
from simnet._node import Node
from simnet._producer import BlockResult

__all__ = [
    "EVENT_SCHEMAS",
    "EVENT_TYPES",
    "TYPES_PATTERN",
    "EventHub",
    "NodeEvents",
    "events_paths",
]

EVENT_TYPES: Final = frozenset({"block", "tx", "pending_tx"})
_ONE_TYPE: Final = "(?:" + "|".join(sorted(EVENT_TYPES)) + ")"
TYPES_PATTERN: Final = f"^{_ONE_TYPE}(?:,{_ONE_TYPE})*$"  # ?types=block,tx
PENDING_BUFFER: Final = 10_000
KEEPALIVE_S: Final = 15.0

_HASH: Final = {"type": "string"}
_UINT: Final = {"type": "integer", "minimum": 0}
# the `data:` of each event kind (`gap` is sent unasked when pending txs were lost)
EVENT_SCHEMAS: Final[dict[str, dict[str, object]]] = {
    "block": {
        "type": "object",
        "required": ["height", "hash", "prev_hash", "time", "txs"],
        "properties": {
            "height": _UINT,
            "hash": _HASH,
            "prev_hash": _HASH,
            "time": {"type": "string"},
            "txs": _UINT,
        },
    },
    "tx": {
        "type": "object",
        "required": ["hash", "height", "index", "sender", "code"],
        "properties": {
            "hash": _HASH,
            "height": _UINT,
            "index": _UINT,
            "sender": _HASH,
            "code": {"type": "string"},  # "ok", or the error code it failed with
        },
    },
    "pending_tx": {
        "type": "object",
        "required": ["hash", "sender", "nonce", "fee", "size"],
        "properties": {
            "hash": _HASH,
            "sender": _HASH,
            "nonce": _UINT,
            "fee": {"type": "string"},
            "size": _UINT,
            "tx": {"type": "object"},  # only under mempool_view_full
        },
    },
    "gap": {
        "type": "object",
        "required": ["pending_tx_lost"],
        "properties": {"pending_tx_lost": _UINT},
    },
}


@dataclass(eq=False, slots=True)
class _Subscriber:
    node: Node
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    pending: deque[Entry] | None = None
    lost: int = 0


class EventHub:
    """Wakes every open stream when a block is made or a node keeps a tx."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.subscribers: dict[str, set[_Subscriber]] = {"alpha": set(), "delta": set()}
        self._hooked: dict[str, Chain] = {}
        network.listeners.append(self._on_block)

    def _on_block(self, chain_name: str, result: BlockResult) -> None:
        for subscriber in self.subscribers.get(chain_name, ()):
            subscriber.wake.set()

    def hook(self, chain_name: str) -> None:
        """Follow pending txs of the chain's current object (reset and import replace it)."""
        chain = self.network.chains[chain_name]
        if self._hooked.get(chain_name) is chain:
            return
        self._hooked[chain_name] = chain
        subscribers = self.subscribers[chain_name]
        lossy = self.network.vulns

        def on_pending(node: Node, entry: Entry) -> None:
            for subscriber in subscribers:
                queue = subscriber.pending
                if queue is None or subscriber.node is not node:
                    continue
                if len(queue) >= PENDING_BUFFER:
                    if not lossy.on("stream_lossy"):
                        subscriber.lost += 1
                    continue
                queue.append(entry)
                subscriber.wake.set()

        chain.pending_listeners.append(on_pending)


@dataclass(slots=True)
class NodeEvents:
    network: Network
    hub: EventHub
    chain_name: str
    node_index: int

    def routes(self) -> list[BaseRoute]:
        return [Route("/events/stream", self.stream)]

    async def stream(self, request: Request) -> Response:
        text = request.query_params.get("types", "block,tx")
        if re.fullmatch(TYPES_PATTERN, text) is None:
            raise Rejected(
                "malformed",
                f"?types= is a comma list of {sorted(EVENT_TYPES)}, got {text!r}",
            )
        types = frozenset(text.split(","))
        chain = self.network.chains[self.chain_name]
        node = chain.nodes[self.node_index]
        start = _start_height(request, chain.served_height(node) + 1)
        subscriber = _Subscriber(node, pending=deque() if "pending_tx" in types else None)
        return StreamingResponse(
            self._events(subscriber, types, start),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )

    async def _events(
        self, subscriber: _Subscriber, types: frozenset[str], height: int
    ) -> AsyncIterator[bytes]:
        hub, name = self.hub, self.chain_name
        hub.subscribers[name].add(subscriber)
        try:
            yield b": open\n\n"
            while True:
                hub.hook(name)
                chain = self.network.chains[name]
                served = chain.served_height(chain.nodes[self.node_index])
                if self.network.vulns.on("stream_lossy") and served - height > 1:
                    height = served  # the slow consumer silently loses the blocks between
                if not types & {"block", "tx"}:
                    height = served + 1
                while height <= served:
                    chunk = _block_events(chain, height, types)
                    height += 1
                    if chunk:
                        yield chunk
                if subscriber.lost:
                    yield _event("gap", {"pending_tx_lost": subscriber.lost})
                    subscriber.lost = 0
                queue = subscriber.pending
                while queue:
                    yield _pending_event(
                        queue.popleft(), self.network.vulns.on("mempool_view_full")
                    )
                subscriber.wake.clear()
                try:
                    async with asyncio.timeout(KEEPALIVE_S):
                        await subscriber.wake.wait()
                except TimeoutError:
                    yield b": keepalive\n\n"
        finally:
            hub.subscribers[name].discard(subscriber)


def _start_height(request: Request, live: int) -> int:
    if "from_height" in request.query_params:
        return query_int(request, "from_height", live, MAX_PARAM_INT)
    last = request.headers.get("last-event-id")  # an id this stream sent: a height
    if last is not None and last.isascii() and last.isdigit() and len(last) < 19:
        return int(last) + 1
    return live


def _event(kind: str, data: dict[str, JsonValue], event_id: int | None = None) -> bytes:
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _block_events(chain: Chain, height: int, types: frozenset[str]) -> bytes:
    block = chain.blocks[height]
    parts: list[bytes] = []
    if "tx" in types:
        for index, tx_hash in enumerate(block.txs):
            record = chain.index.get(tx_hash)
            sender = record.sender if record is not None else ""
            data: dict[str, JsonValue] = {
                "hash": tx_hash,
                "height": height,
                "index": index,
                "sender": sender,
                "code": block.code(index),
            }
            parts.append(_event("tx", data))
    if "block" in types:
        data = {
            "height": height,
            "hash": block.hash,
            "prev_hash": block.prev_hash,
            "time": rfc3339(block.time_us),
            "txs": len(block.txs),
        }
        parts.append(_event("block", data, height))
    return b"".join(parts)


def _pending_event(entry: Entry, full: bool) -> bytes:
    data: dict[str, JsonValue] = {
        "hash": entry.hash,
        "sender": entry.sender,
        "nonce": entry.nonce,
        "fee": str(entry.fee),
        "size": entry.size,
    }
    if full:
        data["tx"] = entry.wire
    return _event("pending_tx", data)


def _stream_event(kind: str) -> dict[str, object]:
    """One event as an SSE parser reads it: its `event:` name, its `data:` (JSON of the kind's
    schema) and the `id:` in force (the height of the last block event sent)."""
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "const": kind},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{kind}_event"},
            },
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "retry": {"type": "integer", "minimum": 0},
        },
    }


def events_paths() -> dict[str, object]:
    """The stream's OpenAPI path: parameters, and the SSE media type whose `schema` is that of
    one event (OpenAPI 3.1 has no item schema for a stream), one branch per event kind."""
    example = _event(
        "tx", {"hash": "AB" * 32, "height": 7, "index": 0, "sender": "dx1...", "code": "ok"}
    )
    example += _event(
        "block",
        {"height": 7, "hash": "CD" * 32, "prev_hash": "EF" * 32, "time": rfc3339(0), "txs": 1},
        7,
    )
    return {
        "/events/stream": {
            "get": {
                "summary": "server-sent events: a height's tx events, then its block event "
                "(id: height); resumable with from_height or Last-Event-ID",
                "parameters": [
                    {
                        "name": "types",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": TYPES_PATTERN},
                        "examples": {"blocks and txs": {"value": "block,tx"}},
                    },
                    {
                        "name": "from_height",
                        "in": "query",
                        "required": False,
                        "schema": {**_UINT, "maximum": MAX_PARAM_INT},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "an endless stream",
                        "content": {
                            "text/event-stream": {
                                "schema": {
                                    "anyOf": [_stream_event(kind) for kind in EVENT_SCHEMAS]
                                },
                                "example": example.decode(),
                            }
                        },
                    },
                    "default": {
                        "description": "an error answer",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                },
            }
        }
    }
