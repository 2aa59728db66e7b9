"""A sybil farmer (A8 `sybil_farming`): one operator runs hundreds of identities to farm the
reward campaign and the faucet.

The farmer bot is the operator's root account. It derives its farm (`FARM_HUBS` hubs of
`LEAVES_PER_HUB` leaves, keys from the run seed and the root's index), funds the hubs with one
multisend from the root, and each hub funds its leaves: every leaf's funder chain meets the
root within two hops, the funding graph a clustering defence reads. Each `farm_sybils` action
then does the next piece of work of one identity that is free: fund, claim the faucet, or one
tx of the scripted activity that meets the campaign's eligibility (four payments to siblings
with varied amounts, one delegation: five txs in two modules).

The farm's identities are not bots of the run: the operator holds their keys and nonces here
(`Farm`, in the root bot's state), waits for each of their txs to land, and keeps no shadow
ledger for them; the root's own multisend goes through the shadow ledger like any tx.

What the farm captures is read from the chain: each faucet claim the faucet accepted is added
to `adv.faucet_paid{to=farm}` (base units), and after each campaign epoch the root reads the
chain's payouts once and counts them as `adv.campaign_payouts{to=farm|other}` (the farm's
addresses are the harness's ground truth, SCENARIOS.md A8 C1/C2).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.errors import BadNonce
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import Msg, bank_multisend, bank_send
from botruntime.identity import Identity
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import Chains, ChainSide, Intent

__all__ = ["FARM_HUBS", "LEAVES_PER_HUB", "Farm", "Sybil", "farm_of", "farm_sybils"]

FARM_HUBS: Final = 10
LEAVES_PER_HUB: Final = 49  # 10 hubs + 490 leaves: the catalogue's 500 identities
BATCH: Final = 10  # outputs per multisend: the tx stays under the fee a bot pays
LEAF_FUNDS: Final = 3 * AX.unit  # eligibility's 1 AX balance, a delegation, fees and payments
FAUCET_CLAIM: Final = 50 * AX.unit
ACTIVITY_TXS: Final = 5  # the campaign's default minimum, one of them a delegation
_LAND_TIMEOUT_S: Final = 20.0


@dataclass(slots=True)
class Sybil:
    identity: Identity
    hub: int | None  # None: a hub itself; else the hub that funds it
    nonce: int = 0
    funded: bool = False
    funded_leaves: int = 0  # a hub: leaves paid so far
    claimed: bool = False
    txs: int = 0
    delegated: bool = False
    busy: bool = False

    @property
    def address(self) -> str:
        return self.identity.alpha_address


@dataclass(slots=True)
class Farm:
    """The operator's identities and what it has done with them (the root bot's state)."""

    hubs: list[Sybil]
    leaves: list[Sybil]
    creation_fee: int | None = None
    validators: list[str] = field(default_factory=list)
    root_funding: bool = False  # the root's multisend is out or done
    root_funded: bool = False
    audited: int = 0  # campaign epochs before this one are counted

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset(s.address for s in (*self.hubs, *self.leaves))


def farm_of(bot: Bot) -> Farm:
    """The farm of root `bot`, derived on first use from the run seed and the root's index."""
    if isinstance(bot.state, Farm):
        return bot.state
    seed = f"{bot.run_seed}/farm/{bot.index}"
    hubs = [Sybil(Identity.derive(seed, h), None) for h in range(FARM_HUBS)]
    leaves = [
        Sybil(Identity.derive(seed, FARM_HUBS + h * LEAVES_PER_HUB + i), h)
        for h in range(FARM_HUBS)
        for i in range(LEAVES_PER_HUB)
    ]
    farm = Farm(hubs, leaves)
    bot.state = farm
    return farm


def _alpha(chains: Chains, bot: Bot) -> HttpAlphaClient:
    client = chains.side("alpha").client_for(bot)
    if not isinstance(client, HttpAlphaClient):
        raise TypeError("the campaign lives on Alpha: this side serves no Alpha client")
    return client


async def _send_as(
    sybil: Sybil, msgs: list[Msg], side: ChainSide, client: HttpAlphaClient, rec: Intent, bot: Bot
) -> bool:
    """Sign `msgs` as `sybil`, send them, wait for the block; whether they took effect."""
    tx = client.sign(sybil.identity, msgs, nonce=sybil.nonce, fee=side.fee, memo=rec.memo(bot))
    landing = side.watcher.expect(tx.hash)
    answer = await rec.submit(client.broadcast(tx, "sync"), tx=tx.hash)
    if not isinstance(answer, SubmitResult):
        side.watcher.forget(tx.hash)
        if isinstance(answer, BadNonce):
            sybil.nonce = answer.expected
        return False
    sybil.nonce += 1
    try:
        async with asyncio.timeout(_LAND_TIMEOUT_S):
            landed = await asyncio.shield(landing)
    except TimeoutError:
        side.watcher.forget(tx.hash)
        account = await rec.query("account", client.account(sybil.address))
        if account is not None:
            sybil.nonce = account.nonce
        return False
    if landed.ok:
        rec.count("adv.sybil_txs_committed")
    return landed.ok


async def _prepare(farm: Farm, client: HttpAlphaClient, rec: Intent) -> bool:
    """The chain facts the farm needs once: the account creation fee and the validators."""
    if farm.creation_fee is None:
        params = await rec.query("params", client.params())
        if params is None:
            return False
        farm.creation_fee = params.integer("account_creation_fee")
    if not farm.validators:
        validators = await rec.query("validators", client.validators())
        if not validators:
            return False
        farm.validators = [v.operator for v in validators]
    return True


def _hub_funds(creation_fee: int, fee: int) -> int:
    """What a hub needs to fund its leaves: their funds, their creation fees, its fees."""
    batches = -(-LEAVES_PER_HUB // BATCH)
    return LEAVES_PER_HUB * (LEAF_FUNDS + creation_fee) + batches * fee


async def _fund_hubs(bot: Bot, farm: Farm, side: ChainSide, rec: Intent) -> None:
    """The root's one multisend to every hub (through the root's shadow ledger)."""
    assert farm.creation_fee is not None
    each = _hub_funds(farm.creation_fee, side.fee)
    outputs = [(hub.address, AX.value, each) for hub in farm.hubs]
    farm.root_funding = True
    spend = len(outputs) * (each + farm.creation_fee)  # every hub is a new account
    landed = await rec.transact(bot, [bank_multisend(outputs)], spend=AX, amount=spend)
    if landed is None or not landed.ok:
        farm.root_funding = False  # try again
        return
    farm.root_funded = True
    for hub in farm.hubs:
        hub.funded = True


def _next(farm: Farm) -> Sybil | None:
    """The first identity that is free and has something left to do: hubs first, then leaves
    in order, so each leaf finishes its script soon (eligible before the epoch ends) rather
    than every leaf being half done."""
    for sybil in (*farm.hubs, *farm.leaves):
        if sybil.busy or not sybil.funded:
            continue
        if sybil.hub is None:
            if sybil.funded_leaves < LEAVES_PER_HUB:
                return sybil
        elif not sybil.claimed or sybil.txs < ACTIVITY_TXS:
            return sybil
    return None


async def _work(
    sybil: Sybil, farm: Farm, bot: Bot, chains: Chains, rng: Random, rec: Intent
) -> None:
    side = chains.side("alpha")
    client = _alpha(chains, bot)
    if sybil.hub is None:  # a hub pays its next batch of leaves
        hub_index = farm.hubs.index(sybil)
        mine = farm.leaves[hub_index * LEAVES_PER_HUB : (hub_index + 1) * LEAVES_PER_HUB]
        batch = mine[sybil.funded_leaves : sybil.funded_leaves + BATCH]
        outputs = [(leaf.address, AX.value, LEAF_FUNDS) for leaf in batch]
        if await _send_as(sybil, [bank_multisend(outputs)], side, client, rec, bot):
            sybil.funded_leaves += len(batch)
            for leaf in batch:
                leaf.funded = True
        return
    if not sybil.claimed:  # the faucet, once funded: the funding graph is on chain by now
        sybil.claimed = True
        paid = await rec.query("faucet", client.faucet(sybil.address, FAUCET_CLAIM))
        if paid is not None:
            rec.count("adv.faucet_paid", to="farm", by=FAUCET_CLAIM, tx=paid.hash)
        return
    msgs: list[Msg]
    if not sybil.delegated and (sybil.txs >= ACTIVITY_TXS - 1 or rng.random() < 0.3):
        operator = rng.choice(farm.validators)
        msgs = [{"type": "staking.delegate", "validator": operator, "amount": str(AX.unit // 2)}]
        sybil.delegated = True
    else:
        hub = sybil.hub
        siblings = farm.leaves[hub * LEAVES_PER_HUB : (hub + 1) * LEAVES_PER_HUB]
        to = rng.choice([s for s in siblings if s is not sybil and s.funded] or [sybil])
        msgs = [bank_send(to.address, rng.randint(1_000, 50_000), AX.value)]  # varied amounts
    if await _send_as(sybil, msgs, side, client, rec, bot):
        sybil.txs += 1
    elif msgs[0]["type"] == "staking.delegate":
        sybil.delegated = False


async def _audit(farm: Farm, client: HttpAlphaClient, rec: Intent) -> None:
    """After each campaign epoch, count once what the campaign paid the farm and the rest."""
    info = await rec.query("campaign", client.campaign())
    if info is None or info.epoch <= farm.audited:
        return
    payouts = await rec.query("payouts", client.payouts())
    if payouts is None:
        return
    mine = farm.addresses
    for payout in payouts:
        if farm.audited <= payout.epoch < info.epoch:
            to = "farm" if payout.address in mine else "other"
            rec.count("adv.campaign_payouts", to=to)
    farm.audited = info.epoch


@behavior("farm_sybils", group="adversarial", chain="alpha", sends_tx=True)
async def farm_sybils(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The next piece of the farm's work: fund, claim the faucet, or meet eligibility; and
    now and then, count what the campaign's last epoch paid the farm."""
    farm = farm_of(bot)
    client = _alpha(chains, bot)
    if rng.random() < 0.1:
        await _audit(farm, client, rec)
        return
    if not await _prepare(farm, client, rec):
        return
    if not farm.root_funded:
        if not farm.root_funding:
            await _fund_hubs(bot, farm, chains.side("alpha"), rec)
        return
    sybil = _next(farm)
    if sybil is None:
        await _audit(farm, client, rec)
        return
    sybil.busy = True
    try:
        await _work(sybil, farm, bot, chains, rng, rec)
    finally:
        sybil.busy = False  # whatever happened, the identity is free for its next step
