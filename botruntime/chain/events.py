"""Follow a node's `GET /events/stream` (server-sent events) as typed events, resumably.

For each block the node sends its `tx` events, then the `block` event (whose `id:` is the
height), so a block event marks its height complete. `EventStream` remembers the next height
to ask for; when the connection drops (or stays silent past `idle_timeout_s`, three keepalive
periods) it reconnects with `from_height` = that height and skips the tx events it already
gave, so a consumer sees every block and tx once, in order. Pending txs are live only: a
reconnect cannot replay them, and the node says what it lost with a `GapEvent`.

    async with delta.events(types=("block", "tx"), from_height=1) as stream:
        async for event in stream:
            if isinstance(event, BlockEvent) and event.height >= target:
                break

Errors: an error answer raises the `Rejected` tree of `botruntime.chain.errors`; no answer
after `reconnects` tries in a row raises `Unreachable`; a malformed event `ProtocolViolation`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Final, Self

# httpx imports its HTTP/1.1 stack when its first client is made, and anyio's asyncio
# backend on its first request: ~250 ms on a busy machine, which would stall a run's event
# loop when its first subscriber connects. They are imported with this module instead.
import anyio._backends._asyncio  # noqa: F401
import httpcore  # noqa: F401
import httpx
import orjson
from pydantic import field_validator

from botruntime.chain._wire_model import Amount, Count, JsonObject, Text, Time, WireModel
from botruntime.chain.errors import ProtocolViolation, Unreachable, error_from_answer

__all__ = ["BlockEvent", "ChainEvent", "EventStream", "GapEvent", "PendingTxEvent", "TxEvent"]

KEEPALIVE_S: Final = 15.0  # the node's comment line when idle


class BlockEvent(WireModel):
    height: Count
    hash: Text
    prev_hash: Text
    time: Time
    txs: Count  # how many tx events of this height came before it


class TxEvent(WireModel):
    hash: Text
    height: Count
    index: Count  # position in its block
    sender: Text
    code: Text | None = None  # "ok", a failure code, or None from a node that does not say

    @field_validator("code", mode="before")
    @classmethod
    def _code_or_none(cls, value: object) -> object:
        return value if isinstance(value, str) else None


class PendingTxEvent(WireModel):
    hash: Text
    sender: Text
    nonce: Count
    fee: Amount
    size: Count
    tx: JsonObject | None = None  # the whole tx only when the mempool view is full

    @field_validator("tx", mode="before")
    @classmethod
    def _tx_or_none(cls, value: object) -> object:
        return value if isinstance(value, dict) else None


class GapEvent(WireModel):
    pending_tx_lost: Count


ChainEvent = BlockEvent | TxEvent | PendingTxEvent | GapEvent
_KINDS: Final[Mapping[str, type[ChainEvent]]] = {
    "block": BlockEvent,
    "tx": TxEvent,
    "pending_tx": PendingTxEvent,
    "gap": GapEvent,
}


def event_from_wire(kind: str, data: bytes) -> ChainEvent | None:
    """One SSE event (its `event:` and joined `data:`); None for a kind this client ignores."""
    model = _KINDS.get(kind)
    if model is None:
        return None
    where = f"GET /events/stream {kind} event"
    try:
        wire = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProtocolViolation(f"{where}: data is not JSON: {data[:200]!r}") from None
    return model.from_wire(wire, where)


class EventStream:
    """One subscription to a node's event stream; iterate it inside `async with`."""

    def __init__(
        self,
        base_url: str,
        *,
        types: Sequence[str] = ("block", "tx"),
        from_height: int | None = None,
        client_id: str = "testbots",
        reconnects: int = 5,
        retry_s: float = 0.5,
        idle_timeout_s: float = 3 * KEEPALIVE_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport` replaces the network (an `httpx.MockTransport` in unit tests)."""
        if not types:
            raise ValueError("types names at least one of 'block', 'tx', 'pending_tx'")
        self.types = tuple(types)
        self.next_height = from_height  # None: from the node's tip
        self.reconnects = reconnects
        self.retry_s = retry_s
        self.idle_timeout_s = idle_timeout_s
        self.connections = 0  # how many times the stream was opened (1 + reconnects)
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            # a plain-http node needs no TLS context, whose certificates take ~100 ms of CPU
            # to load: an event loop opening many streams would stall on each
            verify=base_url.startswith("https:"),
            headers={"X-Client-Id": client_id, "Accept": "text/event-stream"},
            timeout=httpx.Timeout(10.0, read=None),
            transport=transport,
        )
        self._answer: httpx.Response | None = None
        self._lines: AsyncIterator[str] | None = None
        self._failures = 0
        self._last_tx: tuple[int, int] = (-1, -1)  # (height, index) of the last tx given

    async def _connect(self) -> None:
        params: dict[str, str] = {"types": ",".join(self.types)}
        if self.next_height is not None:
            params["from_height"] = str(self.next_height)
        request = self._http.build_request("GET", "/events/stream", params=params)
        answer = await self._http.send(request, stream=True)
        if answer.status_code != 200:
            body = await answer.aread()
            await answer.aclose()
            raise error_from_answer(
                answer.status_code, body, retry_after_s=None, method="GET", path="/events/stream"
            )
        self.connections += 1
        self._answer, self._lines = answer, answer.aiter_lines()

    async def open(self) -> Self:
        """Connect now, so that the caller can time the request (iterating connects
        otherwise); this stream. An error answer raises the `Rejected` tree, no answer
        `Unreachable`."""
        if self._lines is None:
            try:
                await self._connect()
            except httpx.TransportError as exc:
                raise Unreachable(f"GET /events/stream: no answer ({exc!r})") from exc
        return self

    async def _drop(self, reason: BaseException) -> None:
        """Close the current connection; wait to reconnect, or give up after too many."""
        if self._answer is not None:
            await self._answer.aclose()
        self._answer = self._lines = None
        self._failures += 1
        if self._failures > self.reconnects:
            raise Unreachable(
                f"GET /events/stream: no events after {self.reconnects} reconnects "
                f"(last: {reason!r}); is the node up? raise reconnects= to wait longer"
            ) from reason
        await asyncio.sleep(self.retry_s * self._failures)

    def _fresh(self, event: ChainEvent) -> bool:
        """Track the resume point; False for a tx event given before a reconnect."""
        if isinstance(event, BlockEvent):
            self.next_height = event.height + 1
        elif isinstance(event, TxEvent):
            if (event.height, event.index) <= self._last_tx:
                return False
            self._last_tx = (event.height, event.index)
        return True

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ChainEvent:
        kind, data = "message", bytearray()
        while True:
            try:
                if self._lines is None:
                    await self._connect()
                assert self._lines is not None
                async with asyncio.timeout(self.idle_timeout_s):
                    line = await anext(self._lines)
            except (httpx.TransportError, StopAsyncIteration, TimeoutError) as exc:
                kind, data = "message", bytearray()
                await self._drop(exc)
                continue
            if line.startswith(":"):
                continue  # a comment: open or keepalive
            if line:
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    kind = value
                elif field == "data":
                    data += (b"\n" if data else b"") + value.encode()
                continue
            event = event_from_wire(kind, bytes(data)) if data else None
            kind, data = "message", bytearray()
            if event is not None and self._fresh(event):
                self._failures = 0
                return event

    async def aclose(self) -> None:
        if self._answer is not None:
            await self._answer.aclose()
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
