"""The naive hot wallet (R2 `hot_account`, stage A): many workers share one key, and each asks
the chain for the key's nonce before every payout, signs at it and sends.

The chain's nonce moves once a block, while the key's earlier payouts wait in the mempool, so
concurrent workers sign at a nonce a pending tx already holds: the node answers `bad_nonce`
naming the nonce it expects (the next free one behind the sender's pending txs), about one
payout per block gets through, and the rest are refused. A refused payout is not sent again
within its intent (the service pays it later as a new one), so the cohort's cost shows as its
success rate and its submissions per committed payout (the scenario's figures).

Like the payout services it copies, a worker does not wait for the block: it is free for the
next payout once the node has answered, and the payout counts as paid when the commit watcher
sees it land (`Intent.fire`). The role runs its workers as concurrent actions of one bot
(`max_in_flight_per_bot`), which is what sharing one key means.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.payouts import payout_to
from botruntime.bots.bot import Bot
from botruntime.chain.tx import bank_send
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["payout_naive"]


@behavior("payout_naive", group="anti-pattern", chain="alpha", sends_tx=True)
async def payout_naive(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the hot key's nonce from the chain, sign a 1-10 AX payout at it and send it."""
    account = await rec.query("account", chains.alpha.account(bot.alpha_address))
    if account is None:
        return
    to, amount = payout_to(chains, rng)
    msgs = [bank_send(to, amount, AX.value)]
    await rec.fire(bot, msgs, spend=AX, amount=amount, nonce=account.nonce)
