"""Read-then-write on stale data (SCENARIOS.md R6): stale writers act on what a lagging node
says; disciplined clients pin their reads with `X-Min-Height` and their writes with a
deadline and an idempotency key (`client_tx_id`).

The lagging node is the last node of the chain (the scenario's script lags `v4`). Every
payment here is a self-payment: nobody else pays these bots, so what a bot may spend is
exactly what its shadow ledger says, and a stale write beyond it must be refused whole.

- `stale_pay_max`: read the account from the lagging node and pay all of its balance (less
  the fee), waiting for the block: when the stale balance is more than there is, the node
  must refuse it (`insufficient_funds`), never take part of it. `stale_nonce_pay` does the
  same at the nonce the lagging node shows: a nonce already spent is `bad_nonce`.
- `stale_pay_resend`: pay 1 AX, look for the tx on the lagging node, and when it is not there
  within `RESEND_AFTER_S` sign the same payment again at a new nonce: the duplicate payment
  (both commit: `adv.replays_effective{how=intent_twice}`, judged from the blocks). It then
  keeps looking there until it sees its payment (at most `LAND_WAIT_S`).
- `fresh_pay_once`: the same, with a deadline (`timeout_height`) and an idempotency key: the
  resend must be refused `duplicate_client_id`; one the node takes is counted
  `chain.client_id_ignored`.
- `min_height_read`: read the head from the first node, then ask the lagging node with
  `X-Min-Height` = that head: it must answer `height_not_reached` or a height at least that
  (`chain.min_height_reads{outcome=honoured|stale}`), and its plain `/status` must say it is
  catching up while it is behind (`chain.lag_reported{outcome=honest|dishonest}`).
"""

from __future__ import annotations

import asyncio
import time
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.errors import ChainError, HeightNotReached, Rejected
from botruntime.chain.models import SubmitResult
from botruntime.chain.retry import NO_RETRY
from botruntime.chain.tx import bank_send
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.chain.alpha import AlphaClient
    from botruntime.fleet import Chains, Intent

__all__ = [
    "DEADLINE_BLOCKS",
    "LAND_WAIT_S",
    "RESEND_AFTER_S",
    "fresh_pay_once",
    "min_height_read",
    "stale_nonce_pay",
    "stale_pay_max",
    "stale_pay_resend",
]

RESEND_AFTER_S: Final = 1.0  # the naive client's patience (catalogue)
DEADLINE_BLOCKS: Final = 10  # a disciplined payment not in a block by then never is
LAND_WAIT_S: Final = 10.0  # how long a client looks for its payment before it gives up
_POLL_S: Final = 0.2


def _node(chains: Chains, bot: Bot, index: int) -> AlphaClient:
    side = chains.side("alpha")
    client = side.client_for(bot, node=index % len(side.clients))
    return client  # type: ignore[return-value]  # the Alpha side serves Alpha clients


def _lagging(chains: Chains, bot: Bot) -> AlphaClient:
    return _node(chains, bot, -1)


async def _pay_stale_max(bot: Bot, chains: Chains, rec: Intent, *, stale_nonce: bool) -> None:
    """Pay itself the whole balance the lagging node shows, less the fee; at the nonce it
    shows when `stale_nonce`, else at the bot's own."""
    account = await rec.query("stale_account", _lagging(chains, bot).account(bot.alpha_address))
    if account is None:
        return
    fee = chains.side("alpha").fee
    amount = account.balance(AX.value) - fee
    if amount <= 0:
        return
    # the hold is what the shadow ledger can cover: more than that, the node must refuse
    held = min(amount, max(0, bot.wallet.spendable(AX) - fee))
    msgs = [bank_send(bot.alpha_address, amount, AX.value)]
    nonce = account.nonce if stale_nonce else None
    await rec.transact(bot, msgs, spend=AX, amount=held, nonce=nonce)


@behavior("stale_pay_max", group="anti-pattern", chain="alpha", sends_tx=True)
async def stale_pay_max(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay itself the whole balance the lagging node shows, less the fee."""
    await _pay_stale_max(bot, chains, rec, stale_nonce=False)


@behavior("stale_nonce_pay", group="anti-pattern", chain="alpha", sends_tx=True)
async def stale_nonce_pay(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay itself the whole balance the lagging node shows, at the nonce it shows."""
    await _pay_stale_max(bot, chains, rec, stale_nonce=True)


async def _visible(client: AlphaClient, tx_hash: str, within_s: float) -> bool:
    """Whether `client`'s node shows `tx_hash` committed within `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            if (await client.get_tx(tx_hash)).status == "committed":
                return True
        except ChainError:
            pass  # not known there (yet), or no answer: not visible
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        await asyncio.sleep(min(_POLL_S, left))


async def _pay_and_resend(
    bot: Bot,
    chains: Chains,
    rec: Intent,
    *,
    timeout_height: int = 0,
    client_tx_id: str | None = None,
    watch: AlphaClient,
) -> SubmitResult | None:
    """Pay itself 1 AX; if the lagging node does not show it within `RESEND_AFTER_S`, sign
    the same payment again at a new nonce (same memo: the same intent). Then wait, at most
    `LAND_WAIT_S`, until `watch`'s node shows the last tx the node took, as a client waits to
    see its payment (and no tx of this intent is still out when the run ends). The answer to
    the resend when a node took it, else None."""
    if bot.wallet.spendable(AX) < 2 * (AX.unit + chains.side("alpha").fee):
        return None
    msgs = [bank_send(bot.alpha_address, AX.unit, AX.value)]
    memo = rec.memo(bot)
    first = await rec.fire(
        bot,
        msgs,
        spend=AX,
        amount=AX.unit,
        memo=memo,
        timeout_height=timeout_height,
        client_tx_id=client_tx_id,
    )
    if not isinstance(first, SubmitResult):
        return None
    if await _visible(_lagging(chains, bot), first.hash, RESEND_AFTER_S):
        return None
    again = await rec.fire(
        bot,
        msgs,
        spend=AX,
        amount=AX.unit,
        memo=memo,
        timeout_height=timeout_height,
        client_tx_id=client_tx_id,
    )
    taken = again if isinstance(again, SubmitResult) else None
    await _visible(watch, (taken or first).hash, LAND_WAIT_S)
    return taken


@behavior("stale_pay_resend", group="anti-pattern", chain="alpha", sends_tx=True)
async def stale_pay_resend(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay 1 AX and pay it again at a new nonce when the lagging node does not show it."""
    await _pay_and_resend(bot, chains, rec, watch=_lagging(chains, bot))


@behavior("fresh_pay_once", group="legitimate", chain="alpha", sends_tx=True)
async def fresh_pay_once(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay 1 AX with a deadline and an idempotency key; a resend must be refused."""
    head = await rec.query("head", _node(chains, bot, 0).status())
    if head is None:
        return
    key = f"{rec.run_id}:{bot.index}:{int(rec.intended_ts * 1_000_000)}"[-64:]
    taken = await _pay_and_resend(
        bot,
        chains,
        rec,
        timeout_height=head.height + DEADLINE_BLOCKS,
        client_tx_id=key,
        watch=_node(chains, bot, 0),
    )
    if taken is not None:  # the node took a second tx with the same key
        rec.count("chain.client_id_ignored", tx=taken.hash)


@behavior("min_height_read", group="legitimate", chain="alpha")
async def min_height_read(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask the lagging node for the head the first node shows, with X-Min-Height, once (no
    retry: a refusal is the answer wanted)."""
    head = await rec.query("head", _node(chains, bot, 0).status())
    if head is None:
        return
    lagging = _lagging(chains, bot).with_retry(NO_RETRY)
    try:
        pinned = await lagging.status(min_height=head.height)
    except HeightNotReached as refused:
        rec.reject(refused.code)
        rec.count("chain.min_height_reads", outcome="honoured")
    except Rejected as refused:
        rec.reject(refused.code)
    except ChainError as failed:
        rec.error(failed)
    else:
        outcome = "honoured" if pinned.height >= head.height else "stale"
        rec.count("chain.min_height_reads", outcome=outcome)
    plain = await rec.query("lagging_status", lagging.status())
    if plain is not None:
        honest = plain.height >= head.height or plain.catching_up
        rec.count("chain.lag_reported", outcome="honest" if honest else "dishonest")
