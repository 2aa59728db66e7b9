"""Honest users of the reward campaign and the faucet (A8 `sybil_farming`).

An honest user earns the campaign's epoch reward as anyone would: payments to other users
(`send_ax`), one delegation (a second module, `campaign_delegate`), a faucet claim
(`claim_faucet`), and now and then a look at its own standing (`campaign_status`). What the
campaign pays and what the faucet credits reach the shadow ledger from the chain (the fleet's
receipts: faucet credits in blocks, campaign payouts at reconciliation), never from here.

`campaign_status` reads the user's eligibility while its epoch runs; once the chain says it is
eligible, the user remembers the epoch, and after that epoch ended reads the chain's payouts
once: `adv.campaign_recall{result=paid|missed}` is whether the campaign paid an eligible
honest address (SCENARIOS.md A8 C3, honest recall).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.tx import Msg
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = ["CampaignUser", "campaign_delegate", "campaign_status", "claim_faucet", "user_of"]

DELEGATION: Final = AX.unit  # one AX: a second module, not an investment
FAUCET_CLAIM: Final = 10 * AX.unit


@dataclass(slots=True)
class CampaignUser:
    """What an honest campaign user remembers between its actions."""

    delegated: bool = False
    eligible_epoch: int | None = None  # the epoch the chain last called it eligible in
    checked_epoch: int | None = None  # the last epoch whose payouts it looked itself up in


def user_of(bot: Bot) -> CampaignUser:
    if not isinstance(bot.state, CampaignUser):
        bot.state = CampaignUser()
    return bot.state


def _alpha(chains: Chains, bot: Bot) -> HttpAlphaClient:
    client = chains.side("alpha").client_for(bot)
    if not isinstance(client, HttpAlphaClient):
        raise TypeError("the campaign lives on Alpha: this side serves no Alpha client")
    return client


@behavior("campaign_delegate", group="legitimate", chain="alpha", sends_tx=True)
async def campaign_delegate(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Delegate one AX to a validator, once (a delegation pays no rewards until the next
    stake move, so one is all a campaign user makes); later, read the delegation instead."""
    client = _alpha(chains, bot)
    user = user_of(bot)
    if user.delegated:
        await rec.query("delegations", client.delegations(bot.alpha_address))
        return
    validators = await rec.query("validators", client.validators())
    if not validators:
        return
    user.delegated = True  # before sending: a second delegation would pay out rewards
    msg: Msg = {
        "type": "staking.delegate",
        "validator": rng.choice(validators).operator,
        "amount": str(DELEGATION),
    }
    landed = await rec.transact(bot, [msg], spend=AX, amount=DELEGATION)
    if landed is None:  # refused or lost: it may be tried again
        user.delegated = False


@behavior("claim_faucet", group="legitimate", chain="alpha")
async def claim_faucet(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask the faucet for 10 AX; the credit lands in the next block."""
    client = _alpha(chains, bot)
    await rec.query("faucet", client.faucet(bot.alpha_address, FAUCET_CLAIM))


@behavior("campaign_status", group="legitimate", chain="alpha")
async def campaign_status(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the campaign: while an epoch runs, whether this user is eligible in it; after an
    epoch it was eligible in, whether the campaign paid it."""
    client = _alpha(chains, bot)
    user = user_of(bot)
    info = await rec.query("campaign", client.campaign())
    if info is None:
        return
    done = user.eligible_epoch
    if done is not None and done < info.epoch and user.checked_epoch != done:
        payouts = await rec.query("payouts", client.payouts())
        if payouts is None:
            return
        user.checked_epoch = done
        paid = any(p.address == bot.alpha_address and p.epoch == done for p in payouts)
        rec.count("adv.campaign_recall", result="paid" if paid else "missed")
        return
    standing = await rec.query("eligibility", client.eligibility(bot.alpha_address))
    if standing is not None and standing.eligible:
        user.eligible_epoch = info.epoch
