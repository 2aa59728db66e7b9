"""Delegators and validator operators on Alpha (L3 staking_cycle, the voters of L4).

Delegate AX (sAX is minted), move stake to another validator, claim rewards, undelegate (sAX
burns, the AX comes back at maturity), pass sAX on, and read it all back. Every amount is
sized from the bot's own shadow ledger and the chain's view of its delegations, so a reject
is a finding, not an overdraft; what the modules pay back later (maturities, rewards) is
the fleet's `AlphaBook`'s to credit.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain import tx as msgs
from botruntime.chain.alpha_models import Delegation, Rewards, Validator
from botruntime.chain.tx import Msg
from botruntime.identity import Identity
from botruntime.wallet import AX, SAX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = [
    "delegate",
    "edit_commission",
    "read_staking",
    "read_validator",
    "redelegate",
    "transfer_sax",
    "undelegate",
    "withdraw_commission",
    "withdraw_rewards",
]

# a delegation is 1-50 AX and never more than a tenth of what is spendable: the bot keeps
# paying fees for the rest of the run
_MAX_WHOLE = 50
# one redelegation in this many deliberately leaves a validator it redelegated into while the
# cooldown runs: the chain must refuse it (height_not_reached, an expected reject)
_TRANSITIVE_ONE_IN = 10


async def _delegations(bot: Bot, chains: Chains, rec: Intent) -> list[Delegation] | None:
    found = await rec.query("delegations", chains.alpha.delegations(bot.alpha_address))
    return None if found is None else [d for d in found if d.tokens > 0]


async def delegate_some(
    bot: Bot, chains: Chains, rng: Random, rec: Intent, *, fraction: float | None = None
) -> bool:
    """Bond AX to a random validator: 1-50 AX capped at a tenth of what is spendable, or
    `fraction` of what is spendable; False when nothing was sent (nothing to spend)."""
    validators = await rec.query("validators", chains.alpha.validators())
    if not validators:
        return False
    spendable = max(0, bot.wallet.spendable(AX) - chains.side("alpha").fee)
    if fraction is None:
        amount = min(rng.randint(1, _MAX_WHOLE) * AX.unit, spendable // 10)
    else:
        amount = int(spendable * fraction)
    if amount == 0:
        return False
    operator = rng.choice(validators).operator
    landed = await rec.transact(bot, [msgs.delegate(operator, amount)], spend=AX, amount=amount)
    return landed is not None and landed.ok


@behavior("delegate", group="legitimate", chain="alpha", sends_tx=True)
async def delegate(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Delegate 1-50 AX to a random validator; as much sAX is minted to the bot."""
    await delegate_some(bot, chains, rng, rec)


@behavior("undelegate", group="legitimate", chain="alpha", sends_tx=True)
async def undelegate(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Start unbonding part of one delegation (never more sAX than the bot holds); the AX
    comes back once, at maturity. With nothing delegated, delegate instead."""
    held = await _delegations(bot, chains, rec)
    sax = bot.wallet.spendable(SAX)
    if held is None:
        return
    if not held or sax == 0:
        await delegate_some(bot, chains, rng, rec)
        return
    chosen = rng.choice(held)
    amount = min(chosen.tokens, sax, rng.randint(1, _MAX_WHOLE) * AX.unit)
    await rec.transact(bot, [msgs.undelegate(chosen.validator, amount)], spend=SAX, amount=amount)


@behavior("redelegate", group="legitimate", chain="alpha", sends_tx=True)
async def redelegate(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Move part of one delegation to another validator, away from one not in its cooldown
    (one in ten times deliberately from one that is: the chain must refuse that)."""
    held = await _delegations(bot, chains, rec)
    if held is None:
        return
    if not held:
        await delegate_some(bot, chains, rng, rec)
        return
    cooling = await rec.query("redelegations", chains.alpha.redelegations(bot.alpha_address))
    validators = await rec.query("validators", chains.alpha.validators())
    if cooling is None or not validators:
        return
    # validator -> the height from which the bot may redelegate away from it
    in_cooldown: dict[str, int] = {}
    for red in cooling:
        until = max(in_cooldown.get(red.dst_validator, 0), red.completion_height)
        in_cooldown[red.dst_validator] = until
    transitive = rng.randrange(_TRANSITIVE_ONE_IN) == 0
    sources = [d for d in held if (d.validator in in_cooldown) == transitive]
    if not sources:
        if transitive:
            return  # nothing is cooling down: no transitive move to try
        sources = held
    src = rng.choice(sources)
    others = [v.operator for v in validators if v.operator != src.validator]
    amount = min(src.tokens, rng.randint(1, _MAX_WHOLE) * AX.unit)
    msg = msgs.redelegate(src.validator, rng.choice(others), amount)
    landed = await rec.transact(bot, [msg], spend=AX, amount=0)
    if landed is not None and landed.ok and landed.height < in_cooldown.get(src.validator, 0):
        rec.count("chain.cooldown_redelegations")


@behavior("withdraw_rewards", group="legitimate", chain="alpha", sends_tx=True)
async def withdraw_rewards(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Claim the rewards of the delegation that has earned the most (after reading them)."""
    rewards = await _read_rewards(bot, chains, rec)
    if rewards is None or not rewards.rewards:
        return
    best = max(rewards.rewards, key=lambda r: r.amount)
    await rec.transact(bot, [msgs.withdraw_rewards(best.validator)], spend=AX, amount=0)


@behavior("transfer_sax", group="legitimate", chain="alpha", sends_tx=True)
async def transfer_sax(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pass 1-10 sAX (at most a tenth of what the bot holds) to another bot: sAX is liquid."""
    amount = min(rng.randint(1, 10) * SAX.unit, bot.wallet.spendable(SAX) // 10)
    if amount == 0 or bot.wallet.spendable(AX) < chains.side("alpha").fee:
        await _read_rewards(bot, chains, rec)
        return
    to = chains.peers.address(chains.peers.choose(rng, exclude=bot.index), "alpha")
    await rec.transact(bot, [msgs.bank_send(to, amount, SAX.value)], spend=SAX, amount=amount)


@behavior("read_staking", group="legitimate", chain="alpha")
async def read_staking(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the bot's delegations, its unbonding entries or its claimable rewards."""
    pick = rng.randrange(3)
    if pick == 0:
        await rec.query("delegations", chains.alpha.delegations(bot.alpha_address))
    elif pick == 1:
        await rec.query("unbonding", chains.alpha.unbonding(bot.alpha_address))
    else:
        await _read_rewards(bot, chains, rec)


async def _read_rewards(bot: Bot, chains: Chains, rec: Intent) -> Rewards | None:
    """Read the claimable rewards; count `chain.rewards_decreased` when they fell since the
    bot's last read with no claim or stake move of its own in between."""
    rewards = await rec.query("rewards", chains.alpha.rewards(bot.alpha_address))
    if rewards is not None and not chains.alpha_book.rewards_read(bot, rewards.total):
        rec.count("chain.rewards_decreased")
    return rewards


# ---- validator operators -------------------------------------------------------------------


async def _operated(bot: Bot, chains: Chains, rec: Intent) -> tuple[Identity, Validator] | None:
    """The validator this bot operates: simnet's genesis validator `bot.index % count`, whose
    key simnet derives from the run's seed; None on a network that has no such validator."""
    validators = await rec.query("validators", chains.alpha.validators())
    if not validators:
        return None
    identity = Identity.simnet_validator(chains.peers.run_seed, bot.index % len(validators))
    found = next((v for v in validators if v.operator == identity.alpha_address), None)
    return None if found is None else (identity, found)


async def _as_operator(bot: Bot, chains: Chains, rec: Intent, signer: Identity, msg: Msg) -> None:
    """Sign `msg` with the operator's key at the operator account's nonce and send it. The
    operator account is no bot's (no shadow ledger), so the tx is sent, not followed: one
    session per operator with seconds of think time lets each land before the next."""
    client = chains.alpha
    account = await rec.query("account", client.account(signer.alpha_address))
    if account is None:
        return
    fee = chains.side("alpha").fee
    await rec.submit(client.submit(signer, [msg], nonce=account.nonce, fee=fee, memo=rec.memo(bot)))


@behavior("edit_commission", group="legitimate", chain="alpha")
async def edit_commission(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Move the operated validator's commission by at most the allowed change per edit,
    within the allowed maximum (`GET /staking/params`)."""
    operated = await _operated(bot, chains, rec)
    params = await rec.query("staking_params", chains.alpha.staking_params())
    if operated is None or params is None:
        return
    signer, validator = operated
    step = params.integer("max_commission_change_ppm")
    rate = validator.commission_ppm + rng.randint(-step, step)
    rate = min(max(rate, 0), params.integer("max_commission_ppm"))
    await _as_operator(bot, chains, rec, signer, msgs.validator_edit(rate))


@behavior("withdraw_commission", group="legitimate", chain="alpha")
async def withdraw_commission(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Withdraw the operated validator's accrued commission (after reading it)."""
    operated = await _operated(bot, chains, rec)
    if operated is not None and operated[1].commission_accrued > 0:
        await _as_operator(bot, chains, rec, operated[0], msgs.withdraw_commission())


@behavior("read_validator", group="legitimate", chain="alpha")
async def read_validator(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the operated validator (its power, commission and what it has accrued)."""
    operated = await _operated(bot, chains, rec)
    if operated is not None:
        await rec.query("validator", chains.alpha.validator(operated[1].operator))
