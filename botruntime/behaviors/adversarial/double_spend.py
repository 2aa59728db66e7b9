"""Double spenders (A2 `double_spend_race`): one conflict set per spender, fired at once.

A spender holds B (its whole balance) and signs four txs before its round's release: tx1 B-fee
to merchant X at nonce n, tx2 B-fee to merchant Y at nonce n, tx3 0.6B to Z at n+1 and tx4 0.6B
to W at n+2, then sends each to a different node at the release instant. A sound chain commits
one of tx1/tx2 and neither tx3 nor tx4 (they overdraw what the winner left).

The release is the arrival's intended time plus `ARM_S`: the arrivals of a round share one
intended time on every worker (the `rounds` load), the spender signs while it waits, and
`adv.release_lag_s{process}` records how far from the release the set went out (the barrier's
skew: every spender of a round is released at the same wall-clock instant on every worker
process, so the spread between two spenders is at most the largest lag).

What happened is judged from the blocks: the fleet's commit watcher tells each tx where it
landed. Counters (all for action `double_spend_set`):

    adv.sets_fired                a conflict set sent
    adv.sets_skipped{why}         nothing left to spend (a spender fires once: `spent`)
    adv.conflict_commits          txs of a set that took effect in a block
    adv.double_spends_committed   sets with two same-nonce commits, or whose commits spent more
                                  than B (the hard C1)
    adv.pending_not_final         txs a node accepted (a merchant saw them pending) that never
                                  took effect: what accepting 0-conf would have lost
    adv.losers_lingering          losers still pending on some node 2 blocks after the
                                  winner's block (mempool recheck is slow: soft C4)
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.merchant import merchants
from botruntime.bots.bot import Bot
from botruntime.chain.errors import ChainError, Rejected
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import SignedTx, bank_send
from botruntime.wallet import AX, WalletError

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import Chains, ChainSide, Intent, Landed


__all__ = ["ARM_S", "double_spend_set"]

# the time between an arrival and its release: signing four txs takes well under it
ARM_S: Final = 0.2
# blocks after the winner's after which a loser must have left every mempool (C4)
_LOSER_BLOCKS: Final = 2
_POLL_S: Final = 0.05
# the last moment before a release is waited for by the clock, not a timer
_SPIN_S: Final = 0.002
# how long a set may take to be decided before what has not landed counts as lost
_DECIDE_S: Final = 10.0


async def _until(release_ts: float) -> None:
    """Sleep until `_SPIN_S` before the release, then hold the loop until it: a timer wakes up
    to a millisecond off (the loop's clock and epoll's timeout are in milliseconds). The
    spenders of a round wake together, so the first one holds the loop for all of them and
    the others find the release already passed: a round costs the loop `_SPIN_S` at most."""
    await asyncio.sleep(max(0.0, release_ts - _SPIN_S - time.perf_counter()))
    while time.perf_counter() < release_ts:
        pass


@dataclass(frozen=True, slots=True)
class _Leg:
    tx: SignedTx
    amount: int
    node: int


def _legs(bot: Bot, chains: Chains, rng: Random, rec: Intent, balance: int) -> list[_Leg]:
    """The four signed txs of one set, each bound for its own node (round robin from a random
    one when the chain has fewer than four)."""
    side = chains.side("alpha")
    fee = side.fee
    payees = [chains.peers.address(i, "alpha") for i in rng.sample(merchants(chains, 4), 4)]
    n = bot.next_nonce("alpha")
    overdraw = balance * 6 // 10
    plan = [(balance - fee, n), (balance - fee, n), (overdraw, n + 1), (overdraw, n + 2)]
    nodes = len(side.clients)
    first = rng.randrange(nodes)
    memo = rec.memo(bot)
    client = side.client_for(bot)
    return [
        _Leg(
            client.sign(
                bot.identity, [bank_send(to, amount, AX.value)], nonce=nonce, fee=fee, memo=memo
            ),
            amount,
            (first + k) % nodes,
        )
        for k, ((amount, nonce), to) in enumerate(zip(plan, payees, strict=True))
    ]


async def _outcomes(
    side: ChainSide, landings: list[asyncio.Future[Landed]], deadline_ts: float
) -> None:
    """Wait until every leg landed, or the chain is `_LOSER_BLOCKS` past the first one that
    did (the rest lost), or the deadline."""
    while time.perf_counter() < deadline_ts:
        done = [f for f in landings if f.done() and not f.cancelled()]
        if len(done) == len(landings):
            return
        if done:
            first = min(f.result().height for f in done)
            if side.watcher.height >= first + _LOSER_BLOCKS:
                return
        await asyncio.sleep(_POLL_S)


@behavior("double_spend_set", group="adversarial", chain="alpha", sends_tx=True)
async def double_spend_set(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Fire one conflict set at the round's release and judge it from the blocks."""
    side = chains.side("alpha")
    balance = bot.wallet.spendable(AX)
    if balance < 4 * side.fee:
        rec.count("adv.sets_skipped", why="spent")
        return
    await side.client_for(bot).resolve_chain_id()
    legs = _legs(bot, chains, rng, rec, balance)
    landings = [side.watcher.expect(leg.tx.hash) for leg in legs]
    release_ts = rec.intended_ts + ARM_S
    await _until(release_ts)
    # labelled by process: the spenders of one worker process against another's
    rec.measure_s("adv.release_lag_s", time.perf_counter() - release_ts, process=str(os.getpid()))
    answers = await asyncio.gather(
        *(
            rec.submit(
                side.client_for(bot, node=leg.node).broadcast(leg.tx, "sync"), tx=leg.tx.hash
            )
            for leg in legs
        )
    )
    rec.count("adv.sets_fired")
    await _outcomes(side, landings, release_ts + _DECIDE_S)
    landed: list[tuple[_Leg, Landed]] = []
    for leg, landing in zip(legs, landings, strict=True):
        if landing.done() and not landing.cancelled():
            landed.append((leg, landing.result()))
        else:
            side.watcher.forget(leg.tx.hash)
    _settle(bot, rec, side.fee, landed)
    _judge(rec, balance, side.fee, legs, answers, landed)
    if landed:
        await _losers_gone(bot, chains, rec, legs, landed)


def _settle(bot: Bot, rec: Intent, fee: int, landed: list[tuple[_Leg, Landed]]) -> None:
    """The shadow ledger of what the blocks took: the fee of every landed leg, the amount of
    those that took effect, and one nonce each."""
    for leg, where in sorted(landed, key=lambda item: item[0].tx.body.nonce):
        bot.note_accepted("alpha", leg.tx.body.nonce)
        try:
            bot.wallet.debit(AX, fee + (leg.amount if where.ok else 0))
        except WalletError:  # the chain spent more than the bot held: C1 counts it
            rec.count("adv.shadow_overdrawn", tx=leg.tx.hash)


def _judge(
    rec: Intent,
    balance: int,
    fee: int,
    legs: list[_Leg],
    answers: list[SubmitResult | Rejected | None],
    landed: list[tuple[_Leg, Landed]],
) -> None:
    took = [leg for leg, where in landed if where.ok]
    if took:
        rec.count("adv.conflict_commits", by=len(took))
    nonces = [leg.tx.body.nonce for leg, _ in landed]
    spent = sum(leg.amount for leg in took) + fee * len(landed)
    if len(nonces) != len(set(nonces)) or spent > balance:
        rec.count("adv.double_spends_committed", tx=took[-1].tx.hash if took else None)
    effective = {leg.tx.hash for leg in took}
    for leg, answer in zip(legs, answers, strict=True):
        if isinstance(answer, SubmitResult) and leg.tx.hash not in effective:
            rec.count("adv.pending_not_final", tx=leg.tx.hash)


async def _losers_gone(
    bot: Bot, chains: Chains, rec: Intent, legs: list[_Leg], landed: list[tuple[_Leg, Landed]]
) -> None:
    """C4: `_LOSER_BLOCKS` blocks after the winner's (`_outcomes` waited for them), no loser
    is still pending on any node."""
    side = chains.side("alpha")
    in_block = {leg.tx.hash for leg, _ in landed}
    losers = [leg.tx.hash for leg in legs if leg.tx.hash not in in_block]
    for node in range(len(side.clients)):
        client = side.client_for(bot, node=node)
        for tx_hash in losers:
            try:
                status = await client.get_tx(tx_hash)
            except Rejected as exc:
                rec.reject(exc.code, tx_hash)
                continue
            except ChainError as exc:
                rec.error(exc, tx_hash)
                continue
            if status.status in ("pending", "queued_future"):
                rec.count("adv.losers_lingering", tx=tx_hash, node=f"v{node + 1}")
