"""What a wallet app reads: the user's balance, the state of the user's last payment, and
whether its node is healthy."""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["get_balance", "get_health", "get_tx"]


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


@behavior("get_health", group="legitimate", chain="alpha")
async def get_health(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask the bot's Alpha node whether it is healthy (a monitor's probe)."""
    await rec.query("health", chains.alpha.health())
