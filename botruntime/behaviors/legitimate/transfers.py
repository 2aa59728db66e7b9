"""Payments between the run's bots (L1 transfer_baseline, victims of A1 replay_attack, A2's
background customers paying merchants)."""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate.merchant import merchants
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.tx import Msg, bank_send
from botruntime.wallet import AX, DX, Denom

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["pay_merchant", "pay_peer", "peer_payment", "send_ax", "send_ax_failover", "send_dx"]


def peer_payment(
    bot: Bot,
    chains: Chains,
    rng: Random,
    chain: ChainName,
    denom: Denom,
    payees: range | None = None,
) -> tuple[list[Msg], int] | None:
    """A payment of 1-100 whole tokens to a uniformly chosen other bot (of `payees`, default
    any), never more than a tenth of what is spendable after the fee (a reject is then a
    finding, not an overdraft): its messages and amount, or None when the bot cannot afford
    one."""
    fee = chains.side(chain).fee
    affordable = max(0, bot.wallet.spendable(denom) - fee) // 10
    amount = min(rng.randint(1, 100) * denom.unit, affordable)
    if amount == 0:
        return None
    payee = chains.peers.choose(rng, exclude=bot.index) if payees is None else rng.choice(payees)
    to = chains.peers.address(payee, chain)
    return [bank_send(to, amount, denom.value)], amount


async def pay_peer(
    bot: Bot,
    chains: Chains,
    rng: Random,
    rec: Intent,
    chain: ChainName,
    denom: Denom,
    *,
    failover: bool = False,
    payees: range | None = None,
    keep_alive: bool = True,
) -> None:
    """Pay a peer (`peer_payment`) and follow the tx to its block; a bot that cannot afford a
    payment reads its balance instead. `keep_alive=False` sends it on a connection of its own
    (R5's churners)."""
    payment = peer_payment(bot, chains, rng, chain, denom, payees)
    if payment is None:
        client = chains.side(chain).client_for(bot, keep_alive=keep_alive)
        await rec.query("balances", client.balances(bot.address(chain)))
        return
    msgs, amount = payment
    await rec.transact(
        bot, msgs, spend=denom, amount=amount, failover=failover, keep_alive=keep_alive
    )


@behavior("send_ax", group="legitimate", chain="alpha", sends_tx=True)
async def send_ax(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 AX on Alpha and follow the tx until its block."""
    await pay_peer(bot, chains, rng, rec, "alpha", AX)


@behavior("send_ax_failover", group="legitimate", chain="alpha", sends_tx=True)
async def send_ax_failover(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 AX, moving to the next node when one does not answer and
    sending the same signed bytes again when no node knows of the tx (L10)."""
    await pay_peer(bot, chains, rng, rec, "alpha", AX, failover=True)


@behavior("send_dx", group="legitimate", chain="delta", sends_tx=True)
async def send_dx(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay another bot 1-100 DX on Delta and follow the tx until its block."""
    await pay_peer(bot, chains, rng, rec, "delta", DX)


@behavior("pay_merchant", group="legitimate", chain="alpha", sends_tx=True)
async def pay_merchant(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a merchant 1-100 AX on Alpha and follow the tx until its block: background
    customers that never pay a bot whose balance another scenario role races (A2)."""
    await pay_peer(bot, chains, rng, rec, "alpha", AX, payees=merchants(chains, 1))
