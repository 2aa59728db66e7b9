"""What a wallet app reads: the user's balance and the state of the user's last payment."""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["get_balance", "get_tx"]


@behavior("get_balance", group="legitimate", chain="alpha")
async def get_balance(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the bot's own Alpha balances."""
    await rec.query("balances", chains.alpha.balances(bot.alpha_address))


@behavior("get_tx", group="legitimate", chain="alpha")
async def get_tx(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Look up the bot's latest accepted tx (its account, before it has sent one)."""
    if bot.last_tx is None:
        await rec.query("account", chains.alpha.account(bot.alpha_address))
    else:
        await rec.query("get_tx", chains.alpha.get_tx(bot.last_tx))
