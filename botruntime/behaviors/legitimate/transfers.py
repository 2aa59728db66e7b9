"""Payments between the run's bots (L1 transfer_baseline, victims of A1 replay_attack)."""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.tx import bank_send
from botruntime.wallet import AX, DX, Denom

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["pay_peer", "send_ax", "send_ax_failover", "send_dx"]


async def pay_peer(
    bot: Bot,
    chains: Chains,
    rng: Random,
    rec: Intent,
    chain: ChainName,
    denom: Denom,
    *,
    failover: bool = False,
    keep_alive: bool = True,
) -> None:
    """1-100 whole tokens to a uniformly chosen other bot, never more than a tenth of what is
    spendable after the fee: a reject is then a finding, not an overdraft. `keep_alive=False`
    sends it on a connection of its own (R5's churners)."""
    fee = chains.side(chain).fee
    affordable = max(0, bot.wallet.spendable(denom) - fee) // 10
    amount = min(rng.randint(1, 100) * denom.unit, affordable)
    if amount == 0:
        client = chains.side(chain).client_for(bot, keep_alive=keep_alive)
        await rec.query("balances", client.balances(bot.address(chain)))
        return
    to = chains.peers.address(chains.peers.choose(rng, exclude=bot.index), chain)
    msgs = [bank_send(to, amount, denom.value)]
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
