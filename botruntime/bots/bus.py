"""A message bus between the bots of one worker: direct, broadcast, and request/reply.

Each subscriber gets an `Inbox` with a fixed size and an explicit overflow policy, so a slow
consumer costs at most `maxsize` messages of memory, never more:

- `Overflow.BLOCK`        the sender waits up to `put_timeout_s` for room, then `InboxFull`
                          (back-pressure: use it when losing a message is a bug);
- `Overflow.DROP_OLDEST`  the oldest queued message is discarded, the new one kept;
- `Overflow.DROP_NEWEST`  the new message is discarded.

Every discarded message is counted on its inbox (`.dropped`). A broadcast never waits on one
slow subscriber: a full BLOCK inbox misses the broadcast and counts it as dropped.

`request()` sends a message with a fresh correlation id and awaits the answer, which the
recipient gives with `reply(message, payload)`. Replies go straight to the waiting requester
(not through an inbox), so one pending request holds one future and nothing else; a reply
that comes after its request timed out is counted (`late_replies`) and ignored.

The bus starts no task and holds no timer: it is plain data until someone awaits.

Errors, catch the branch you can act on:

BusError
├── UnknownRecipient   a direct send or request to a name nobody subscribed (.name)
├── AlreadySubscribed  a name subscribed twice (.name)
├── InboxFull          a BLOCK inbox stayed full for put_timeout_s (.name, .maxsize)
├── RequestTimeout     no reply within timeout_s (.correlation_id)
└── BusClosed          the bus or the inbox is closed (.name)
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Generic, TypeVar

__all__ = [
    "DEFAULT_INBOX_SIZE",
    "AlreadySubscribed",
    "Bus",
    "BusClosed",
    "BusError",
    "Inbox",
    "InboxFull",
    "Message",
    "Overflow",
    "RequestTimeout",
    "UnknownRecipient",
]

DEFAULT_INBOX_SIZE: Final = 64
P = TypeVar("P")


class Overflow(StrEnum):
    BLOCK = "block"
    DROP_OLDEST = "drop_oldest"
    DROP_NEWEST = "drop_newest"


class BusError(Exception):
    pass


class UnknownRecipient(BusError):
    def __init__(self, name: str) -> None:
        super().__init__(f"nobody subscribed as {name!r}: subscribe it first, or check the name")
        self.name = name


class AlreadySubscribed(BusError):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is already subscribed: unsubscribe it first, or pick a name")
        self.name = name


class InboxFull(BusError):
    def __init__(self, name: str, maxsize: int, waited_s: float) -> None:
        super().__init__(
            f"inbox {name!r} stayed full ({maxsize} messages) for {waited_s} s: its consumer is "
            "too slow; raise maxsize or use Overflow.DROP_OLDEST if losing messages is fine"
        )
        self.name = name
        self.maxsize = maxsize


class RequestTimeout(BusError):
    def __init__(self, name: str, correlation_id: int, timeout_s: float) -> None:
        super().__init__(
            f"no reply from {name!r} to request #{correlation_id} within {timeout_s} s: "
            "is its consumer running and calling bus.reply()?"
        )
        self.correlation_id = correlation_id


class BusClosed(BusError):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name or 'the bus'} is closed: nothing more is sent or received")
        self.name = name


@dataclass(frozen=True, slots=True)
class Message(Generic[P]):
    """`recipient` is None for a broadcast; `correlation_id` is set on requests, and a reply
    carries the request's id in `in_reply_to`."""

    sender: str
    recipient: str | None
    topic: str
    payload: P
    correlation_id: int | None = None
    in_reply_to: int | None = None


class _Closed:
    """Put in an empty inbox by close() to wake whoever waits in get()."""


_CLOSED: Final = _Closed()


class Inbox(Generic[P]):
    """One subscriber's bounded queue. Consume it with `get()` or `async for`."""

    __slots__ = ("_closed", "_queue", "delivered", "dropped", "maxsize", "name", "policy")

    def __init__(self, name: str, maxsize: int, policy: Overflow) -> None:
        if maxsize < 1:  # asyncio.Queue(0) would be unbounded: exactly what this forbids
            raise ValueError(f"an inbox holds at least 1 message, got maxsize={maxsize}")
        self.name = name
        self.maxsize = maxsize
        self.policy = policy
        self.delivered = 0
        self.dropped = 0
        self._closed = False
        self._queue: asyncio.Queue[Message[P] | _Closed] = asyncio.Queue(maxsize)

    def qsize(self) -> int:
        return self._queue.qsize()

    @property
    def closed(self) -> bool:
        return self._closed

    async def get(self, timeout_s: float | None = None) -> Message[P]:
        """The next message; BusClosed once closed and drained, TimeoutError after timeout_s."""
        if self._closed and self._queue.empty():
            raise BusClosed(self.name)
        async with asyncio.timeout(timeout_s):
            item = await self._queue.get()
        if isinstance(item, _Closed):
            self._queue.put_nowait(item)  # wake the next waiting consumer too
            raise BusClosed(self.name)
        return item

    def get_nowait(self) -> Message[P] | None:
        """The next message if one is queued, without waiting (None when the inbox is empty);
        BusClosed once closed and drained."""
        if self._queue.empty():
            if self._closed:
                raise BusClosed(self.name)
            return None
        item = self._queue.get_nowait()
        if isinstance(item, _Closed):
            self._queue.put_nowait(item)
            raise BusClosed(self.name)
        return item

    async def __aiter__(self) -> AsyncIterator[Message[P]]:
        """Every message until the inbox is closed and drained."""
        while True:
            try:
                yield await self.get()
            except BusClosed:
                return

    def offer(self, message: Message[P]) -> bool:
        """Deliver without waiting, by the policy; False when the message was dropped."""
        if self._closed:
            raise BusClosed(self.name)
        if self._queue.full():
            if self.policy is not Overflow.DROP_OLDEST:
                self.dropped += 1
                return False
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(message)
        self.delivered += 1
        return True

    async def put(self, message: Message[P], timeout_s: float) -> bool:
        """Deliver by the policy; a BLOCK inbox waits up to timeout_s, then InboxFull."""
        if self.policy is not Overflow.BLOCK or not self._queue.full():
            return self.offer(message)
        if self._closed:
            raise BusClosed(self.name)
        try:
            async with asyncio.timeout(timeout_s):
                await self._queue.put(message)
        except TimeoutError:
            raise InboxFull(self.name, self.maxsize, timeout_s) from None
        self.delivered += 1
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._queue.empty():
            self._queue.put_nowait(_CLOSED)

    def __repr__(self) -> str:
        return (
            f"<Inbox {self.name!r} {self.qsize()}/{self.maxsize} {self.policy.value} "
            f"delivered={self.delivered} dropped={self.dropped}>"
        )


class Bus(Generic[P]):
    """Named inboxes plus the requests waiting for a reply. Owned by one event loop."""

    def __init__(
        self, *, put_timeout_s: float = 1.0, default_size: int = DEFAULT_INBOX_SIZE
    ) -> None:
        self.put_timeout_s = put_timeout_s
        self.default_size = default_size
        self.late_replies = 0
        self._inboxes: dict[str, Inbox[P]] = {}
        self._pending: dict[int, asyncio.Future[Message[P]]] = {}
        self._ids = itertools.count(1)
        self._closed = False

    @property
    def pending(self) -> int:
        """Requests waiting for a reply."""
        return len(self._pending)

    def subscribe(
        self, name: str, *, maxsize: int | None = None, policy: Overflow = Overflow.BLOCK
    ) -> Inbox[P]:
        self._check_open()
        if name in self._inboxes:
            raise AlreadySubscribed(name)
        inbox = Inbox[P](name, self.default_size if maxsize is None else maxsize, policy)
        self._inboxes[name] = inbox
        return inbox

    def unsubscribe(self, name: str) -> None:
        """Close the inbox and free the name; queued messages stay readable until drained."""
        inbox = self._inboxes.pop(name, None)
        if inbox is not None:
            inbox.close()

    def inbox(self, name: str) -> Inbox[P]:
        try:
            return self._inboxes[name]
        except KeyError:
            raise UnknownRecipient(name) from None

    async def send(self, sender: str, to: str, topic: str, payload: P) -> bool:
        """Deliver to one subscriber; False when its policy dropped the message."""
        self._check_open()
        message = Message(sender, to, topic, payload)
        return await self.inbox(to).put(message, self.put_timeout_s)

    def broadcast(self, sender: str, topic: str, payload: P) -> int:
        """Offer to every subscriber but the sender, never waiting; how many took it."""
        self._check_open()
        message = Message(sender, None, topic, payload)
        return sum(
            inbox.offer(message)
            for name, inbox in list(self._inboxes.items())
            if name != sender and not inbox.closed
        )

    async def request(
        self, sender: str, to: str, topic: str, payload: P, *, timeout_s: float
    ) -> Message[P]:
        """Send with a fresh correlation id and await the reply, within timeout_s in all."""
        self._check_open()
        inbox = self.inbox(to)
        correlation_id = next(self._ids)
        future: asyncio.Future[Message[P]] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        try:
            async with asyncio.timeout(timeout_s):
                message = Message(sender, to, topic, payload, correlation_id=correlation_id)
                if not await inbox.put(message, timeout_s):  # DROP_NEWEST and full
                    raise InboxFull(to, inbox.maxsize, 0.0)
                return await future
        except TimeoutError:
            raise RequestTimeout(to, correlation_id, timeout_s) from None
        finally:
            self._pending.pop(correlation_id, None)

    def reply(self, request: Message[P], payload: P, topic: str | None = None) -> bool:
        """Answer `request`; False (and counted) when nobody waits for it any more."""
        if request.correlation_id is None:
            raise ValueError(
                f"message {request.topic!r} from {request.sender!r} is not a request "
                "(no correlation id): use send() to answer it"
            )
        future = self._pending.get(request.correlation_id)
        if future is None or future.done():
            self.late_replies += 1
            return False
        future.set_result(
            Message(
                request.recipient or "",
                request.sender,
                request.topic if topic is None else topic,
                payload,
                in_reply_to=request.correlation_id,
            )
        )
        return True

    def close(self) -> None:
        """Close every inbox and fail every pending request; later sends raise BusClosed."""
        self._closed = True
        for name in list(self._inboxes):
            self.unsubscribe(name)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusClosed(""))
        self._pending.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise BusClosed("")
