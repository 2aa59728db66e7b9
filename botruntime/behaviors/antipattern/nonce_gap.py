"""Parallel submitters from one account (R3 `nonce_gap`): nonce gaps, stuck future txs, and
what a mempool must do about them.

Each account is driven by several concurrent workers (the role's `max_in_flight_per_bot`)
that take nonces from one local counter and send round-robin over the chain's nodes, as a
service behind a load balancer without stickiness does. A faulty fee estimate underprices 5 %
of the txs *after* their nonce was taken: the node refuses them (`insufficient_fee`) and the
nonce stays unused on chain, a gap; every later nonce of the account waits in the nodes'
future queues until the gap fills.

- `parallel_send_naive`: fire and forget. A refused nonce is never sent again; on
  `bad_nonce` (past the future window, or a nonce a pending tx holds) it restarts its counter
  at the account's committed nonce read from the node it used, ignoring its own pending txs
  (the classic "account sequence mismatch" loop, SCENARIOS.md [S16]).
- `parallel_send_disciplined`: the same workers and the same faulty fees, handled: a refused
  tx is signed again at a fresh nonce, `bad_nonce` moves the counter forward to what the chain
  expects, and a worker whose tx sits in a future queue past one block fills the gaps below
  it with no-op self-transfers (`fill_nonce_gap`, a follow-up intent). It follows each tx to
  its block: a tx queued behind a gap must commit within 2 blocks of its predecessor
  (`mempool.promotion_blocks`; `mempool.promotion_missed` when it has not after 3), and one
  still out after `STUCK_BLOCKS` is `chain.stuck_intents`.
- `audit_future_queue`: reads every node's mempool (`GET /mempool/stats`, `GET /mempool`)
  and judges the future queues from the chain's own view: the depth per sender
  (`mempool.future_depth`, over the node's `future_window` is `mempool.future_over_window`),
  a tx queued longer than the node's `ttl_blocks` (`mempool.future_past_ttl`), and why a
  queued tx left without a block (`GET /txs/{hash}`: `mempool.future_evicted{reason}`,
  `reason=none` when the node cannot say).

All txs are self-payments of 1 AX, so only fees leave the accounts; each is settled on the
shadow ledger when the commit watcher sees it land (`Intent.fire_at`), and one that never
lands (refused, replaced, evicted) costs nothing, exactly as on chain.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.errors import BadNonce, Rejected
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import Msg, bank_send
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainClient, Chains, ChainSide, Intent, Landed

__all__ = [
    "PROMOTION_BLOCKS",
    "STUCK_BLOCKS",
    "UNDERPRICED_FEE",
    "UNDERPRICED_SHARE",
    "Account",
    "QueueAudit",
    "account_of",
    "audit_future_queue",
    "parallel_send_disciplined",
    "parallel_send_naive",
    "take_nonce",
]

UNDERPRICED_SHARE: Final = 0.05  # of txs whose fee is set too low after the nonce was taken
UNDERPRICED_FEE: Final = 1  # base units: below any minimum fee
STUCK_BLOCKS: Final = 10  # a disciplined tx not in a block after this many is stuck
PROMOTION_BLOCKS: Final = 2  # a queued tx commits within this many blocks of its predecessor
_FILL_AFTER_BLOCKS: Final = 1  # a tx queued this long behind a gap of ours: fill the gap
_ATTEMPTS: Final = 3  # a disciplined intent is signed at most this many times
_POLL_S: Final = 0.25  # a quarter block: heights, not this, decide what is late
_AMOUNT: Final = AX.unit
_PAGE: Final = 500


@dataclass(slots=True)
class Account:
    """What one account's workers share (the bot's `state`): the node the next send goes
    to, the nonces taken whose tx no node kept, and the height each landed nonce took."""

    turn: int = 0
    burnt: set[int] = field(default_factory=set)
    landed: dict[int, int] = field(default_factory=dict)

    def next_node(self, nodes: int) -> int:
        """Round-robin over the nodes: no stickiness."""
        self.turn += 1
        return self.turn % nodes


def account_of(bot: Bot) -> Account:
    if not isinstance(bot.state, Account):
        bot.state = Account()
    return bot.state


def take_nonce(bot: Bot) -> int:
    """The next nonce of the local counter, taken at once: the account's other workers do not
    wait for this tx's answer to take the one after."""
    nonce = bot.next_nonce("alpha")
    bot.nonce_used("alpha", nonce)
    return nonce


def _payment(bot: Bot) -> list[Msg]:
    return [bank_send(bot.alpha_address, _AMOUNT, AX.value)]


def _note_landing(account: Account, nonce: int, landing: asyncio.Future[Landed]) -> None:
    def note(done: asyncio.Future[Landed]) -> None:
        if not done.cancelled():
            account.landed[nonce] = done.result().height

    landing.add_done_callback(note)


@behavior("parallel_send_naive", group="anti-pattern", chain="alpha", sends_tx=True)
async def parallel_send_naive(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """One of an account's parallel workers: a local nonce, 5 % underpriced, never resent."""
    side = chains.side("alpha")
    node = account_of(bot).next_node(len(side.clients))
    underpriced = rng.random() < UNDERPRICED_SHARE
    answer, _ = await rec.fire_at(
        bot,
        _payment(bot),
        nonce=take_nonce(bot),
        spend=AX,
        amount=_AMOUNT,
        fee=UNDERPRICED_FEE if underpriced else None,
        node=node,
    )
    if underpriced and isinstance(answer, Rejected) and answer.code == "insufficient_fee":
        rec.count("chain.nonce_gaps", event="opened")
    elif isinstance(answer, BadNonce):
        # naive: the committed nonce, as if nothing of ours were pending
        client = side.client_for(bot, node=node)
        account = await rec.query("account", client.account(bot.alpha_address))
        if account is not None:
            bot.resync_nonce("alpha", account.nonce)


@behavior("parallel_send_disciplined", group="anti-pattern", chain="alpha", sends_tx=True)
async def parallel_send_disciplined(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """One of an account's parallel workers that recovers: resend, resync, fill gaps."""
    side = chains.side("alpha")
    account = account_of(bot)
    for attempt in range(_ATTEMPTS):
        nonce = take_nonce(bot)
        node = account.next_node(len(side.clients))
        underpriced = attempt == 0 and rng.random() < UNDERPRICED_SHARE
        answer, landing = await rec.fire_at(
            bot,
            _payment(bot),
            nonce=nonce,
            spend=AX,
            amount=_AMOUNT,
            fee=UNDERPRICED_FEE if underpriced else None,
            node=node,
        )
        if landing is not None:  # accepted, or no answer (a copy may still land)
            _note_landing(account, nonce, landing)
            accepted = answer if isinstance(answer, SubmitResult) else None
            queued = accepted is not None and accepted.status == "queued_future"
            tx_hash = None if accepted is None else accepted.hash
            await _follow(bot, side, rec, nonce, landing, queued=queued, tx_hash=tx_hash)
            return
        if not isinstance(answer, Rejected):
            return  # the ledger could not cover it (counted)
        if answer.code == "insufficient_fee":
            rec.count("chain.nonce_gaps", event="opened")
            account.burnt.add(nonce)  # a gap until a stuck worker fills it
        elif isinstance(answer, BadNonce):
            bot.nonce_used("alpha", answer.expected - 1)  # forward only: ours are in flight
        else:
            return  # refused for another reason (counted): not a nonce matter


async def _follow(
    bot: Bot,
    side: ChainSide,
    rec: Intent,
    nonce: int,
    landing: asyncio.Future[Landed],
    *,
    queued: bool,
    tx_hash: str | None,
) -> None:
    """Wait for the tx at `nonce` (`tx_hash`, when a node answered) to land, filling gaps
    below it when it waits behind one."""
    account = account_of(bot)
    watcher = side.watcher
    since = watcher.height
    missed = False
    while True:
        # asyncio.wait neither cancels the landing on timeout nor raises if it was cancelled
        await asyncio.wait((landing,), timeout=_POLL_S)
        if landing.cancelled():
            return  # forgotten: the fleet no longer follows it
        if landing.done():
            before = account.landed.get(nonce - 1)
            if queued and before is not None:
                height = landing.result().height
                rec.sample("mempool.promotion_blocks", max(0, height - before))
            return
        height = watcher.height
        before = account.landed.get(nonce - 1)
        if queued and not missed and before is not None and height > before + PROMOTION_BLOCKS:
            missed = True  # its predecessor committed 3 blocks ago and it is still out
            rec.count("mempool.promotion_missed", tx=tx_hash)
        if height >= since + _FILL_AFTER_BLOCKS:
            await _fill_gaps_below(bot, side, rec, nonce)
        if height >= since + STUCK_BLOCKS:
            rec.count("chain.stuck_intents", tx=tx_hash)
            return


async def _fill_gaps_below(bot: Bot, side: ChainSide, rec: Intent, nonce: int) -> None:
    """Fill every gap of ours below `nonce` with a no-op self-transfer at the right fee."""
    account = account_of(bot)
    for gap in sorted(g for g in account.burnt if g < nonce):
        account.burnt.discard(gap)  # one filler per gap, whichever worker sends it
        filler = rec.follow_up("fill_nonce_gap")
        _, landing = await filler.fire_at(
            bot,
            _payment(bot),
            nonce=gap,
            spend=AX,
            amount=_AMOUNT,
            node=account.next_node(len(side.clients)),
        )
        if landing is None:
            continue  # refused: the chain moved past it, or another tx holds it now
        _note_landing(account, gap, landing)
        landing.add_done_callback(_count_filled(filler))


def _count_filled(filler: Intent) -> Callable[[asyncio.Future[Landed]], None]:
    def counted(done: asyncio.Future[Landed]) -> None:
        if not done.cancelled() and done.result().ok:
            filler.count("chain.nonce_gaps", event="filled")

    return counted


# ---- the future queue, as the nodes show it ---------------------------------------------------


@dataclass(slots=True)
class QueueAudit:
    """The auditor's memory (its bot's `state`): per hash of a tx seen queued on any node,
    the height it was first seen queued at."""

    queued: dict[str, int] = field(default_factory=dict)


@behavior("audit_future_queue", group="anti-pattern", chain="alpha")
async def audit_future_queue(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read every node's future queues and judge their bounds, age and evictions."""
    if not isinstance(bot.state, QueueAudit):
        bot.state = QueueAudit()
    audit = bot.state
    side = chains.side("alpha")
    present: set[str] = set()
    for node in range(len(side.clients)):
        listed = await _audit_node(audit, side.client_for(bot, node=node), node, rec)
        if listed is None:
            return  # a node unread says nothing of what left the mempools
        present |= listed
    gone = [h for h in audit.queued if h not in present]
    if not gone:
        return
    committed = {seen.hash for seen in chains.recent.committed("alpha")}
    for tx_hash in gone:
        if tx_hash in committed:
            del audit.queued[tx_hash]  # its gap filled: promoted and committed
        else:
            await _judge_gone(audit, side.client_for(bot), tx_hash, rec)


async def _audit_node(
    audit: QueueAudit, client: ChainClient, node: int, rec: Intent
) -> set[str] | None:
    """Sample `node`'s future queues; the hashes it holds (None when it could not be read).
    The node's height is read first: the queues listed after it are no older."""
    status = await rec.query("status", client.status())
    stats = await rec.query("mempool_stats", client.mempool_stats())
    if status is None or stats is None:
        return None
    height = status.height
    window, ttl = stats["future_window"], stats["ttl_blocks"]
    depth: dict[str, int] = {}
    last: dict[str, str] = {}  # sender -> a queued tx of it, the evidence
    held: set[str] = set()
    cursor: str | None = None
    while True:
        page = await rec.query("mempool", client.mempool(cursor=cursor, limit=_PAGE))
        if page is None:
            return None
        for tx in page.txs:
            held.add(tx.hash)
            if tx.status != "queued_future":
                continue
            depth[tx.sender] = depth.get(tx.sender, 0) + 1
            last[tx.sender] = tx.hash
            first = audit.queued.setdefault(tx.hash, height)
            # queued at `first` or later: a node expires it once its height passes first +
            # ttl; one block more for a node that lags the others
            if height > first + ttl + 1:
                rec.count("mempool.future_past_ttl", tx=tx.hash, node=f"v{node + 1}")
        cursor = page.next_cursor
        if cursor is None:
            break
    for sender, queued in depth.items():
        rec.sample("mempool.future_depth", queued)
        if queued > window:
            rec.count("mempool.future_over_window", tx=last[sender], node=f"v{node + 1}")
    return held


async def _judge_gone(audit: QueueAudit, client: ChainClient, tx_hash: str, rec: Intent) -> None:
    """A queued tx left every mempool without a block this run saw: why, says the node."""
    status = await rec.query("tx", client.get_tx(tx_hash))
    if status is None:
        return  # asked again at the next audit
    if status.status == "failed" and status.height is None:
        rec.count("mempool.future_evicted", reason=status.code or "none", tx=tx_hash)
    elif status.status == "unknown":
        rec.count("mempool.future_evicted", reason="none", tx=tx_hash)
    elif status.status in ("pending", "queued_future"):
        return  # back in a mempool (gossip): still followed
    del audit.queued[tx_hash]
