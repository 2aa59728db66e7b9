"""Learning of one's own payments from the node's event stream: the disciplined cohort of
SCENARIOS.md R4 `polling_storm`, next to the naive pollers of `antipattern/polling.py`.

A subscriber keeps one `GET /events/stream` open between its payments (`Chains.subscription`)
and learns that a payment is in a block from the stream's tx event, about one request per tx
instead of dozens. As a phone or a redeployed backend does, every `RECONNECT_EVERY`th payment it
first goes offline for a few blocks and comes back with `from_height`: the stream owes it every
block it missed, once, in order. Every event read is checked (`StreamCheck`) and what is wrong
is counted: `chain.stream_missed_blocks`, `chain.stream_repeated_blocks`,
`chain.stream_broken_links`, `chain.stream_missed_txs`, `chain.stream_repeated_txs`;
`chain.stream_resumes` counts the returns, `chain.stream_drops` connections the node closed.
`lat.notify{action}` runs from the block's time to the tx event's arrival.
"""

from __future__ import annotations

import asyncio
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.transfers import peer_payment
from botruntime.bots.bot import Bot
from botruntime.chain.events import BlockEvent, EventStream, TxEvent
from botruntime.chain.models import SubmitResult
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import ChainClient, Chains, Intent, StreamFindings, Subscription

__all__ = ["RECONNECT_EVERY", "notified_send"]

RECONNECT_EVERY: Final = 4
# away this many block intervals, a returning subscriber is at least 2 blocks behind the node
OFFLINE_BLOCKS: Final = 3.5
DEFAULT_BLOCK_S: Final = 1.0  # until two blocks have been read
NOTIFY_TIMEOUT_S: Final = 15.0
# blocks past the node's height at submission before the subscriber asks about its tx once
CHECK_AFTER_BLOCKS: Final = 3


@behavior("notified_send", group="legitimate", chain="alpha", sends_tx=True)
async def notified_send(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 AX and learn of its block from the event stream kept open
    between payments; after every fourth, go offline for a few blocks (the next payment
    resumes the stream by height)."""
    sub = chains.subscription
    client = chains.side("alpha").client_for(bot)
    sub.actions += 1
    if sub.stream is None:
        resuming = sub.resume_from is not None
        if not await _open(sub, client, rec):
            return
        if resuming:
            rec.count("chain.stream_resumes")
    payment = peer_payment(bot, chains, rng, "alpha", AX)
    if payment is None:
        return
    msgs, amount = payment
    answer = await rec.fire(bot, msgs, spend=AX, amount=amount)
    if isinstance(answer, SubmitResult):
        try:
            async with asyncio.timeout(NOTIFY_TIMEOUT_S):
                await _learn_of(sub, client, rec, answer.hash, client.seen_height)
        except TimeoutError:
            rec.count("chain.stream_silent", tx=answer.hash)
    _count_drops(sub, rec)
    if sub.actions % RECONNECT_EVERY == 0:  # offline until the next payment resumes it
        await sub.close()
        await asyncio.sleep(OFFLINE_BLOCKS * (sub.block_interval_s or DEFAULT_BLOCK_S))


async def _open(sub: Subscription, client: ChainClient, rec: Intent) -> bool:
    """Connect from where the last stream stopped (the node's tip the first time)."""
    stream = client.events(types=("block", "tx"), from_height=sub.resume_height)
    opened = await rec.query("events_stream", stream.open())
    if opened is None:
        await stream.aclose()
        return False
    sub.opened(opened)
    return True


async def _learn_of(
    sub: Subscription, client: ChainClient, rec: Intent, tx_hash: str, submitted_at: int
) -> None:
    """Read the stream until the block holding `tx_hash` is complete; if the stream passes
    a few blocks without it, ask the node once whether it is in a block the stream skipped."""
    stream: EventStream | None = sub.stream
    assert stream is not None, "opened by the caller"
    in_block: int | None = None
    ask_at = submitted_at + CHECK_AFTER_BLOCKS
    async for event in stream:
        if isinstance(event, TxEvent):
            _count(rec, sub.check.tx(event), tx_hash)
            if event.hash == tx_hash:
                in_block = event.height
            continue
        if not isinstance(event, BlockEvent):
            continue
        at = sub.saw_block(event)
        _count(rec, sub.check.block(event), tx_hash)
        if in_block is not None and event.height >= in_block:
            if at is not None:
                rec.notified(at)
            return
        if event.height >= ask_at:
            status = await rec.query("get_tx", client.get_tx(tx_hash))
            landed = None if status is None or not status.final else status.height
            if landed is not None and landed <= event.height:
                rec.count("chain.stream_missed_txs", tx=tx_hash)  # in a block it never sent
                return
            ask_at = (landed or event.height) + CHECK_AFTER_BLOCKS


def _count(rec: Intent, found: StreamFindings, tx_hash: str) -> None:
    if not found:
        return
    for name, value in (
        ("chain.stream_missed_blocks", found.missed_blocks),
        ("chain.stream_repeated_blocks", found.repeated_blocks),
        ("chain.stream_broken_links", found.broken_links),
        ("chain.stream_missed_txs", found.missed_txs),
        ("chain.stream_repeated_txs", found.repeated_txs),
    ):
        if value:
            rec.count(name, by=value, tx=tx_hash)


def _count_drops(sub: Subscription, rec: Intent) -> None:
    """Connections the node closed under the stream, which reconnected by itself."""
    stream = sub.stream
    if stream is not None and stream.connections > sub.connections:
        rec.count("chain.stream_drops", by=stream.connections - sub.connections)
        sub.connections = stream.connections
