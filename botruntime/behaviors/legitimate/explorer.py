"""Explorer and wallet readers (L5 `explorer_reads`): blocks, txs, address histories, the
validator set, the mempool and the supply, on both chains, spread over the nodes.

A read has no shadow ledger, so each one is checked against what readers saw before
(`chains.reads`, a `ReadMemory`), and every violation is a counter with its evidence:

    chain.block_changed         a block read again differs from its first read (immutability),
                                or its tx list differs from the block's
    chain.min_height_violated   a read sent with X-Min-Height h answered from below h
    chain.reads_nonmonotonic    a reader's view of one node went backwards
    chain.tx_mismatch           GET /txs/{hash} disagrees with the block that holds the tx
    chain.history_duplicates    paging an address history with its cursor gave a tx twice
    chain.history_gaps          ... or skipped a tx the full listing has

and the samples they judge: `chain.blocks_reread`, `chain.tx_checked`, `chain.history_walks`.

The floor a reader asks for is the highest height any node showed it (`ReadMemory.tip`): a
node behind it must answer 409 `height_not_reached` (the role expects that code), never older
data. A reader pages a history with pauses, as a person clicking "next" does, so txs land
between its pages.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from random import Random
from typing import TYPE_CHECKING, Final, cast

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.alpha import AlphaClient
from botruntime.chain.errors import HeightNotReached, ProtocolViolation
from botruntime.chain.models import AddressTx, Block, BlockTx, Status
from botruntime.chain.retry import DEFAULT_RETRYABLE, RetryPolicy

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainClient, Chains, ChainSide, Intent

__all__ = [
    "read_balances",
    "read_block",
    "read_block_txs",
    "read_history",
    "read_latest_block",
    "read_mempool",
    "read_nodes_status",
    "read_supply",
    "read_tx",
    "read_validators",
    "read_wallet",
]

_CHAINS: Final[tuple[ChainName, ...]] = ("alpha", "delta")
# block by height: Zipf (s = 1.1) over the last 1,000 blocks, the newest the most read
_ZIPF_S: Final = 1.1
_ZIPF_DEPTH: Final = 1000
_ZIPF_CUM: Final = tuple(itertools.accumulate(1.0 / k**_ZIPF_S for k in range(1, _ZIPF_DEPTH + 1)))
# a history walk: small pages, a person's pause between them, bounded
_PAGE_SIZES: Final = (1, 3)
_PAGE_PAUSE_S: Final = (0.2, 0.5)
_MAX_PAGES: Final = 25
_FULL_PAGE: Final = 100
_EVIDENCE_CHARS: Final = 128  # what a metric example may hold
# a node back from a restart is within this many blocks of the tip within CATCH_UP_S
_CAUGHT_UP_BLOCKS: Final = 2
_CATCH_UP_S: Final = 15.0
# a node behind the asked height is not waited for: the reader's next read goes elsewhere
_READ_RETRY: Final = RetryPolicy(
    retry_on=tuple(e for e in DEFAULT_RETRYABLE if e is not HeightNotReached)
)


def _sides(chains: Chains) -> list[ChainSide]:
    found = []
    for name in _CHAINS:
        try:
            found.append(chains.side(name))
        except KeyError:
            continue
    return found


def _node(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> tuple[ChainSide, int, ChainClient]:
    """A chain and one of its nodes, spread uniformly: a reader's requests go to every node."""
    side = rng.choice(_sides(chains))
    node = rng.randrange(len(side.clients))
    rec.chain = side.name
    return side, node, side.client_for(bot, node=node).with_retry(_READ_RETRY)


def _where(side: ChainSide, node: int) -> str:
    return f"{side.name} v{node + 1}"


def _short(text: str) -> str:
    return text if len(text) <= 14 else text[:12] + ".."


def _violation(rec: Intent, name: str, evidence: str) -> None:
    """Count a violation with its evidence (an example kept with the counter, <= 128 chars)."""
    rec.count(name, tx=evidence[:_EVIDENCE_CHARS])


@behavior("read_latest_block", group="legitimate")
async def read_latest_block(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The latest block of a node, asked with X-Min-Height = the highest height seen."""
    side, node, client = _node(bot, chains, rng, rec)
    floor = chains.reads.tip(side.name)
    block = await rec.query("latest_block", client.latest_block(min_height=floor or None))
    if block is None:
        return  # a node behind the floor says so (409): the defence working
    if block.height < floor:
        _violation(
            rec,
            "chain.min_height_violated",
            f"{_where(side, node)}: /blocks/latest with X-Min-Height {floor} gave {block.height}",
        )
    before = chains.reads.saw_height(bot.index, side.name, node, block.height)
    if before is not None:
        _violation(
            rec,
            "chain.reads_nonmonotonic",
            f"{_where(side, node)}: reader {bot.index} saw height {before}, then {block.height}",
        )
    _remember(chains, rec, side, node, block)


def _remember(chains: Chains, rec: Intent, side: ChainSide, node: int, block: Block) -> None:
    first, reread = chains.reads.remember_block(side.name, block)
    if reread:
        rec.count("chain.blocks_reread")
    if first is not None:
        _violation(
            rec,
            "chain.block_changed",
            f"{_where(side, node)}: block {block.height} was {_short(first.hash)} "
            f"({len(first.txs)} txs), now {_short(block.hash)} ({len(block.txs)} txs)",
        )


@behavior("read_block", group="legitimate")
async def read_block(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A block by height, Zipf-distributed over the last 1,000 (recent ones most read); a
    block read before must come back unchanged."""
    side, node, client = _node(bot, chains, rng, rec)
    tip = chains.reads.tip(side.name)
    if tip == 0:
        await read_latest_block(bot, chains, rng, rec)
        return
    depth = rng.choices(range(_ZIPF_DEPTH), cum_weights=_ZIPF_CUM)[0]
    height = max(1, tip - depth)
    block = await rec.query("block", client.block(height, min_height=height))
    if block is not None:
        _remember(chains, rec, side, node, block)


@behavior("read_block_txs", group="legitimate")
async def read_block_txs(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The txs of a block read before: the same hashes, in the same order."""
    side, node, client = _node(bot, chains, rng, rec)
    block = chains.reads.pick_block(side.name, rng, with_txs=True)
    if block is None:
        await read_latest_block(bot, chains, rng, rec)
        return
    txs = await rec.query("block_txs", client.block_txs(block.height, min_height=block.height))
    if txs is None:
        return
    hashes = []
    for item in txs:
        try:
            entry = BlockTx.from_wire(item, "GET /blocks/{height}/txs")
        except ProtocolViolation:
            hashes.append("<undecodable>")
            continue
        hashes.append(entry.hash)
        sender = entry.tx.get("body")
        if isinstance(sender, dict) and isinstance(sender.get("sender"), str):
            chains.reads.note_address(side.name, str(sender["sender"]))
    if tuple(hashes) != block.txs:
        _violation(
            rec,
            "chain.block_changed",
            f"{_where(side, node)}: block {block.height} has {len(block.txs)} txs, "
            f"/blocks/{block.height}/txs lists {len(hashes)} (or another order)",
        )


@behavior("read_tx", group="legitimate")
async def read_tx(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A tx of a block read before, by hash, asked at that block's height: it must say it is
    in that block."""
    side, node, client = _node(bot, chains, rng, rec)
    block = chains.reads.pick_block(side.name, rng, with_txs=True)
    if block is None or not block.txs:
        await read_latest_block(bot, chains, rng, rec)
        return
    tx_hash = rng.choice(block.txs)
    status = await rec.query("get_tx", client.get_tx(tx_hash, min_height=block.height))
    if status is None:
        return
    rec.count("chain.tx_checked")
    if status.height is None and not status.included:
        # still "pending" (or unknown) at a height that has it in a block: an older view
        _violation(
            rec,
            "chain.min_height_violated",
            f"{_where(side, node)}: tx {tx_hash} of block {block.height} "
            f"{status.status} at min height {block.height}",
        )
    elif status.height != block.height or not status.included:
        _violation(
            rec,
            "chain.tx_mismatch",
            f"{_where(side, node)}: tx {tx_hash} in block {block.height}, "
            f"/txs says {status.status} at {status.height}",
        )


async def _walk(
    client: ChainClient, address: str, rng: Random, rec: Intent
) -> list[AddressTx] | None:
    """Page `address`'s history with its cursor, small pages, a pause between them."""
    limit = rng.randint(*_PAGE_SIZES)
    walked: list[AddressTx] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = await rec.query("txs_of", client.txs_of(address, cursor=cursor, limit=limit))
        if page is None:
            return None
        walked.extend(page.txs)
        cursor = page.next_cursor
        if cursor is None:
            return walked
        await asyncio.sleep(rng.uniform(*_PAGE_PAUSE_S))
        rec.intended_ts = time.perf_counter()  # the next page is the reader's next click
    return walked  # long history: judged as far as it was read


async def _listing(client: ChainClient, address: str, rec: Intent) -> list[AddressTx] | None:
    """The whole history as the node lists it now, in full pages."""
    listed: list[AddressTx] = []
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = await rec.query("txs_of", client.txs_of(address, cursor=cursor, limit=_FULL_PAGE))
        if page is None:
            return None
        listed.extend(page.txs)
        cursor = page.next_cursor
        if cursor is None:
            break
    return listed


def _address(bot: Bot, chains: Chains, rng: Random, chain: ChainName) -> str:
    """An address worth reading: a sender seen in a block, else another bot of the run."""
    found = chains.reads.pick_address(chain, rng)
    if found is not None:
        return found
    return chains.peers.address(chains.peers.choose(rng, exclude=bot.index), chain)


@behavior("read_balances", group="legitimate")
async def read_balances(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The balances of an address seen in a block (an explorer's account page)."""
    side, _, client = _node(bot, chains, rng, rec)
    await rec.query("balances", client.balances(_address(bot, chains, rng, side.name)))


@behavior("read_history", group="legitimate")
async def read_history(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Page an active address's history (a sender seen in a block, else a peer) while new
    txs land; then list it whole: no tx twice, none of the listing missing."""
    side, node, client = _node(bot, chains, rng, rec)
    address = _address(bot, chains, rng, side.name)
    await _judge_history(side, node, client, address, rng, rec)


@behavior("read_wallet", group="legitimate")
async def read_wallet(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A wallet's screen: the bot's own balances, then its own history, paged and checked."""
    side, node, client = _node(bot, chains, rng, rec)
    address = bot.address(side.name)
    await rec.query("balances", client.balances(address))
    await _judge_history(side, node, client, address, rng, rec)


async def _judge_history(
    side: ChainSide, node: int, client: ChainClient, address: str, rng: Random, rec: Intent
) -> None:
    walked = await _walk(client, address, rng, rec)
    if walked is None:
        return
    rec.count("chain.history_walks")
    seen: set[str] = set()
    for item in walked:
        if item.hash in seen:
            _violation(
                rec,
                "chain.history_duplicates",
                f"{_where(side, node)}: tx {item.hash} twice, {_short(address)} paged",
            )
        seen.add(item.hash)
    listing = await _listing(client, address, rec)
    if listing is None or not walked:
        return
    last = max(item.key for item in walked)
    for item in listing:
        if item.key <= last and item.hash not in seen:
            _violation(
                rec,
                "chain.history_gaps",
                f"{_where(side, node)}: tx {item.hash} skipped, {_short(address)} paged",
            )


@behavior("read_validators", group="legitimate")
async def read_validators(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Alpha's validator set (Delta has none of its own): none of it jailed."""
    side = chains.side("alpha")
    rec.chain = "alpha"
    node = rng.randrange(len(side.clients))
    client = cast(AlphaClient, side.client_for(bot, node=node)).with_retry(_READ_RETRY)
    validators = await rec.query("validators", client.validators())
    for validator in validators or ():
        if validator.jailed:
            _violation(
                rec,
                "chain.validators_jailed",
                f"{_where(side, node)}: validator {validator.moniker} jailed "
                f"({validator.missed_blocks} blocks missed)",
            )


async def _status(
    bot: Bot, chains: Chains, side: ChainSide, node: int, rec: Intent
) -> Status | None:
    """One node's /status; a quick answer is also evidence that the node is live now
    (`chains.liveness`, which judges whether a lost tx's node had time to pass it on)."""
    client = side.client_for(bot, node=node).with_retry(_READ_RETRY)
    sent = time.perf_counter()
    status = await rec.query("status", client.status())
    if status is not None:
        chains.liveness.answered(side.name, node, sent, time.perf_counter())
    return status


@behavior("read_nodes_status", group="legitimate")
async def read_nodes_status(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Every node's /status, as an operator's dashboard shows it: a node that answers is
    within 2 blocks of the tip and not catching up, or gets there within 15 s."""
    side = rng.choice(_sides(chains))
    rec.chain = side.name
    answers = await asyncio.gather(
        *(_status(bot, chains, side, node, rec) for node in range(len(side.clients)))
    )
    heights = [status.height for status in answers if status is not None]
    if not heights:
        return
    tip, now_s = max(heights), time.perf_counter()
    for node, status in enumerate(answers):
        if status is None:
            continue  # down, stopped or paused: judged once it answers again
        rec.count("chain.status_checked")
        behind = status.catching_up or status.height < tip - _CAUGHT_UP_BLOCKS
        slow = chains.reads.overdue(side.name, node, behind, now_s, _CATCH_UP_S)
        if slow is not None:
            _violation(
                rec,
                "chain.catchup_slow",
                f"{_where(side, node)}: at {status.height} (tip {tip}, catching_up="
                f"{status.catching_up}) for {slow:.0f} s",
            )


@behavior("read_mempool", group="legitimate")
async def read_mempool(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A page of a node's pending txs."""
    _, _, client = _node(bot, chains, rng, rec)
    await rec.query("mempool", client.mempool(limit=50))


@behavior("read_supply", group="legitimate")
async def read_supply(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The chain's total supply, or (one time in three) its parameters."""
    _, _, client = _node(bot, chains, rng, rec)
    if rng.random() < 1 / 3:
        await rec.query("params", client.params())
    else:
        await rec.query("supply", client.supply())
