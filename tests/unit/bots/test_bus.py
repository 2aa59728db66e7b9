"""botruntime.bots.bus: delivery, request/reply, and memory bounded whatever the consumer does."""

from __future__ import annotations

import asyncio
import inspect

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.bots import (
    AlreadySubscribed,
    Bus,
    BusClosed,
    InboxFull,
    Message,
    Overflow,
    RequestTimeout,
    UnknownRecipient,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the bus is built on asyncio queues and futures


async def test_direct_send_reaches_only_its_recipient() -> None:
    bus: Bus[str] = Bus()
    alice, bob = bus.subscribe("alice"), bus.subscribe("bob")
    assert await bus.send("alice", "bob", "hello", "hi bob")
    message = await bob.get(timeout_s=1)
    assert message == Message("alice", "bob", "hello", "hi bob")
    assert alice.qsize() == 0 and bob.delivered == 1
    with pytest.raises(UnknownRecipient, match="carol"):
        await bus.send("alice", "carol", "hello", "?")
    with pytest.raises(AlreadySubscribed):
        bus.subscribe("bob")


async def test_broadcast_reaches_everyone_but_the_sender() -> None:
    bus: Bus[int] = Bus()
    inboxes = [bus.subscribe(f"bot-{i}") for i in range(4)]
    assert bus.broadcast("bot-0", "tick", 7) == 3
    assert inboxes[0].qsize() == 0
    for inbox in inboxes[1:]:
        message = await inbox.get(timeout_s=1)
        assert (message.recipient, message.payload, message.sender) == (None, 7, "bot-0")


async def test_requests_get_their_own_replies_by_correlation_id() -> None:
    bus: Bus[int] = Bus()
    server = bus.subscribe("server")
    bus.subscribe("client")

    async def serve() -> None:
        first, second = await server.get(timeout_s=1), await server.get(timeout_s=1)
        assert first.correlation_id != second.correlation_id
        for request in (second, first):  # answer out of order
            assert bus.reply(request, request.payload * 10)

    async with anyio.create_task_group() as tg:
        tg.start_soon(serve, name="server")
        replies: dict[int, Message[int]] = {}

        async def ask(n: int) -> None:
            replies[n] = await bus.request("client", "server", "times-ten", n, timeout_s=1)

        tg.start_soon(ask, 1, name="ask-1")
        tg.start_soon(ask, 2, name="ask-2")
    assert {n: r.payload for n, r in replies.items()} == {1: 10, 2: 20}
    assert replies[1].in_reply_to is not None and replies[1].sender == "server"
    assert bus.pending == 0


async def test_an_unanswered_request_times_out_and_a_late_reply_is_counted() -> None:
    bus: Bus[str] = Bus()
    server = bus.subscribe("server")
    with pytest.raises(RequestTimeout) as info:
        await bus.request("client", "server", "ping", "?", timeout_s=0.05)
    assert bus.pending == 0
    request = await server.get(timeout_s=1)
    assert request.correlation_id == info.value.correlation_id
    assert not bus.reply(request, "too late")
    assert bus.late_replies == 1
    with pytest.raises(ValueError, match="not a request"):
        bus.reply(Message("a", "b", "t", "x"), "y")


async def test_block_policy_waits_for_room_then_fails_typed() -> None:
    bus: Bus[int] = Bus(put_timeout_s=0.05)
    slow = bus.subscribe("slow", maxsize=2, policy=Overflow.BLOCK)
    await bus.send("a", "slow", "n", 1)
    await bus.send("a", "slow", "n", 2)
    with pytest.raises(InboxFull) as info:
        await bus.send("a", "slow", "n", 3)
    assert info.value.maxsize == 2 and slow.qsize() == 2

    bus.put_timeout_s = 1.0
    async with anyio.create_task_group() as tg:
        tg.start_soon(bus.send, "a", "slow", "n", 4, name="blocked-sender")
        await anyio.sleep(0.01)
        assert slow.qsize() == 2  # the sender is waiting, not queueing past the bound
        assert (await slow.get(timeout_s=1)).payload == 1
    assert [(await slow.get(timeout_s=1)).payload for _ in range(2)] == [2, 4]


async def test_broadcast_never_waits_on_a_full_blocking_inbox() -> None:
    bus: Bus[int] = Bus(put_timeout_s=5.0)
    full = bus.subscribe("full", maxsize=1, policy=Overflow.BLOCK)
    other = bus.subscribe("other")
    bus.broadcast("x", "n", 1)
    assert not inspect.iscoroutinefunction(bus.broadcast)  # it cannot wait: no await inside
    assert bus.broadcast("x", "n", 2) == 1  # only `other` took it
    assert (full.dropped, full.qsize(), other.qsize()) == (1, 1, 2)


@pytest.mark.parametrize(
    ("policy", "kept"), [(Overflow.DROP_OLDEST, [7, 8, 9]), (Overflow.DROP_NEWEST, [0, 1, 2])]
)
async def test_drop_policies_keep_the_bound_and_count(policy: Overflow, kept: list[int]) -> None:
    bus: Bus[int] = Bus()
    inbox = bus.subscribe("slow", maxsize=3, policy=policy)
    for n in range(10):
        await bus.send("a", "slow", "n", n)
    assert (inbox.qsize(), inbox.dropped) == (3, 7)
    assert [(await inbox.get(timeout_s=1)).payload for _ in range(3)] == kept


async def test_a_flooded_slow_consumer_stays_bounded() -> None:
    bus: Bus[bytes] = Bus()
    inbox = bus.subscribe("slow", maxsize=8, policy=Overflow.DROP_OLDEST)
    for _ in range(10_000):
        bus.broadcast("flood", "blob", b"x" * 100)
        assert inbox.qsize() <= 8
    assert inbox.delivered == 10_000 and inbox.dropped == 10_000 - 8


async def test_closing_wakes_consumers_and_refuses_senders() -> None:
    bus: Bus[int] = Bus()
    inbox = bus.subscribe("bot")
    await bus.send("a", "bot", "n", 1)
    received: list[int] = []

    async def consume() -> None:
        async for message in inbox:
            received.append(message.payload)

    with anyio.fail_after(1):  # the consumer must end soon after close()
        async with anyio.create_task_group() as tg:
            tg.start_soon(consume, name="consumer")
            await anyio.sleep(0.01)  # the consumer now waits on an empty inbox
            bus.close()
    assert received == [1]
    with pytest.raises(BusClosed):
        await inbox.get(timeout_s=1)
    with pytest.raises(BusClosed):
        await bus.send("a", "bot", "n", 2)
    with pytest.raises(BusClosed):
        bus.subscribe("late")


async def test_close_fails_pending_requests() -> None:
    bus: Bus[int] = Bus()
    bus.subscribe("server")
    async with anyio.create_task_group() as tg:

        async def ask() -> None:
            with pytest.raises(BusClosed):
                await bus.request("c", "server", "q", 1, timeout_s=5)

        tg.start_soon(ask, name="asker")
        await anyio.sleep(0.01)
        assert bus.pending == 1
        bus.close()
    assert bus.pending == 0


async def test_unsubscribe_frees_the_name_and_keeps_queued_messages_readable() -> None:
    bus: Bus[int] = Bus()
    inbox = bus.subscribe("bot")
    await bus.send("a", "bot", "n", 1)
    bus.unsubscribe("bot")
    assert (await inbox.get(timeout_s=1)).payload == 1
    with pytest.raises(BusClosed):
        await inbox.get(timeout_s=1)
    assert bus.subscribe("bot") is not inbox


def test_an_unbounded_inbox_is_refused() -> None:
    async def main() -> None:
        with pytest.raises(ValueError, match="at least 1"):
            Bus[int]().subscribe("x", maxsize=0)

    asyncio.run(main())


@settings(max_examples=50, deadline=None)
@given(
    maxsize=st.integers(1, 6),
    policy=st.sampled_from([Overflow.DROP_OLDEST, Overflow.DROP_NEWEST]),
    ops=st.lists(st.sampled_from(["send", "broadcast", "get"]), max_size=60),
)
def test_no_sequence_grows_an_inbox_past_its_bound(
    maxsize: int, policy: Overflow, ops: list[str]
) -> None:
    async def main() -> None:
        bus: Bus[int] = Bus()
        inbox = bus.subscribe("slow", maxsize=maxsize, policy=policy)
        sent = taken = 0
        for op in ops:
            if op == "get":
                if inbox.qsize():
                    await inbox.get(timeout_s=1)
                    taken += 1
                continue
            sent += 1
            if op == "send":
                await bus.send("a", "slow", "n", sent)
            else:
                bus.broadcast("a", "n", sent)
            assert inbox.qsize() <= maxsize
        assert inbox.delivered + (inbox.dropped if policy is Overflow.DROP_NEWEST else 0) == sent
        assert (
            inbox.qsize()
            == inbox.delivered - inbox.dropped * (policy is Overflow.DROP_OLDEST) - taken
        )

    asyncio.run(main())
