"""Oracle feeders (L7 `perps_trading`, A7 `liquidation_cascade`, later A6): the feeder bots
of a role split the chain's feeder keys between them and sign, for the block being built, the
price of a reference path that every feeder of the run computes alike (`_price_paths`).

A feeder key is not a bot's own account: simnet derives its feeder set from the seed the run
reset it with (`simnet_feeder`), which is the bots' run seed. Bot j of a role of n feeder bots
signs keys j, j + n, ... of the `FEEDERS` keys, so the whole set feeds whatever the size gives
the role (one bot signs all five; a sixth bot only reads the price). The bot pays its keys'
fees: a key short of DX first receives a stock of fees from the bot (one multisend of the
bot's own, so its shadow ledger records the spend; a key has no ledger of its own). A key's
nonce is read from the chain on each submission (committed nonce plus its txs still pending
on the bot's node), so a feeder holds no state between actions. A price is sent with mode
`sync` and not followed to its block: the oracle takes each feeder's last price of a block and
publishes their median (`GET /oracle/prices/{pair}`), which is what criteria read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate._price_paths import (
    calm_walk,
    crash_path,
    feeder_noise,
    reference_walk,
)
from botruntime.behaviors.legitimate.perps import delta_of
from botruntime.bots.bot import Bot
from botruntime.chain.errors import BadNonce
from botruntime.chain.models import SubmitResult
from botruntime.chain.perps import oracle_submit_price
from botruntime.chain.tx import Msg, bank_multisend
from botruntime.identity import Identity, simnet_feeder
from botruntime.wallet import DX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.chain.delta import DeltaClient
    from botruntime.fleet import Chains, Intent

__all__ = [
    "FEEDERS",
    "HONEST_KEYS",
    "PAIR",
    "PricePath",
    "feed_calm",
    "feed_crash",
    "feed_reference",
    "feeder_keys",
    "run_block",
    "submit_reference_price",
]

PAIR: Final = "bAX/DX"  # simnet's one oracle pair, marking the bAX-PERP market
FEEDERS: Final = 5  # simnet's feeder set (SCENARIOS.md §1.6: >= 3 feeders, median per block)
HONEST_KEYS: Final = 4  # A6: keys 0-3 follow the reference, key 4 is the rogue feeder's
_KEY_FEES: Final = 300  # fees a key is given at a time: 5 min of one price per block

PricePath = Callable[[str, int], int | None]
"""(run seed, block since the run started) -> the reference price, or None to stay silent."""


def run_block(chains: Chains) -> int:
    """The Delta block the bot last saw, counted from the run's first block (the index of
    every price path)."""
    watcher = chains.side("delta").watcher
    return watcher.height - (watcher.start_height or 0)


def feeder_keys(bot: Bot, role_bots: range, feeders: int = FEEDERS) -> list[Identity]:
    """The feeder keys `bot` signs for: its role's bots deal the keys out in turn."""
    position, count = bot.index - role_bots.start, max(1, len(role_bots))
    return [simnet_feeder(bot.run_seed, k) for k in range(position, feeders, count)]


async def submit_reference_price(
    bot: Bot,
    chains: Chains,
    rng: Random,
    rec: Intent,
    path: PricePath,
    *,
    pair: str = PAIR,
    keys: Sequence[Identity] | None = None,
) -> int:
    """Send, for each of the bot's feeder keys, the price `path` gives for the next block.

    `keys` defaults to the bot's share of all `FEEDERS` keys (`feeder_keys`); A6's honest
    feeders sign the first four and its rogue feeder the fifth. Returns how many prices a
    node accepted."""
    side = chains.side("delta")
    client = delta_of(chains)
    if keys is None:
        keys = feeder_keys(bot, chains.role_bots)
    if not keys:
        await rec.query("oracle_price", client.price(pair))
        return 0
    accounts = []
    for key in keys:
        account = await rec.query("account", client.account(key.delta_address))
        if account is None:
            return 0
        accounts.append(account)
    short = [
        (key.delta_address, account.nonce == 0 and not account.balances)
        for key, account in zip(keys, accounts, strict=True)
        if account.balances.get(DX.value, 0) < 2 * side.fee
    ]
    if short and not await _stock_fees(bot, chains, rec, short):
        return 0  # the keys' fees first: prices once they have committed
    price = path(bot.run_seed, run_block(chains) + 1)
    if price is None:  # the path's outage: the feeders stay silent in this block
        return 0
    sent = 0
    for key, account in zip(keys, accounts, strict=True):
        pending = await rec.query("mempool", client.pending(key.delta_address))
        if pending is None:
            continue
        price_msg = oracle_submit_price(pair, feeder_noise(rng, price))
        nonce = account.nonce + len(pending)
        answer = await rec.submit(
            _send_price(client, key, price_msg, nonce, side.fee, rec.memo(bot))
        )
        sent += isinstance(answer, SubmitResult)
    return sent


async def _send_price(
    client: DeltaClient, key: Identity, msg: Msg, nonce: int, fee: int, memo: str
) -> SubmitResult:
    """Sign and send one price; a nonce guess that a block overtook between the reads is
    corrected once from the chain's answer (`bad_nonce` names the expected nonce)."""
    try:
        return await client.submit(key, [msg], nonce=nonce, fee=fee, memo=memo)
    except BadNonce as exc:
        if exc.expected <= nonce:
            raise
        return await client.submit(key, [msg], nonce=exc.expected, fee=fee, memo=memo)


async def _stock_fees(bot: Bot, chains: Chains, rec: Intent, short: list[tuple[str, bool]]) -> bool:
    """Pay each (key address, is new) a stock of fees in one multisend, and say whether it
    committed; the sender also pays the chain's account-creation fee for each key that does
    not exist yet (GET /params)."""
    side = chains.side("delta")
    new = sum(1 for _, is_new in short if is_new)
    creation = 0
    if new:
        params = await rec.query("params", delta_of(chains).params())
        if params is None:
            return False
        creation = new * params.integer("account_creation_fee")
    budget = bot.wallet.spendable(DX) - side.fee - creation
    each = min(_KEY_FEES * side.fee, budget // (2 * len(short)))
    if each <= side.fee:
        return False
    msg = bank_multisend([(address, DX.value, each) for address, _ in short])
    landed = await rec.transact(bot, [msg], spend=DX, amount=each * len(short) + creation)
    return landed is not None and landed.ok


def _reference(seed: str, block: int) -> int | None:
    return reference_walk(seed, block)


def _crash(seed: str, block: int) -> int | None:
    return crash_path(block)


@behavior("feed_reference", group="legitimate", chain="delta", sends_tx=True)
async def feed_reference(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Submit the reference walk's price for the next block (L7)."""
    await submit_reference_price(bot, chains, rng, rec, _reference)


@behavior("feed_crash", group="legitimate", chain="delta", sends_tx=True)
async def feed_crash(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Submit the scripted crash's price for the next block, or stay silent (A7)."""
    await submit_reference_price(bot, chains, rng, rec, _crash)


def _calm(seed: str, block: int) -> int | None:
    return calm_walk(seed, block)


@behavior("feed_calm", group="legitimate", chain="delta", sends_tx=True)
async def feed_calm(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Submit the calm reference walk's price for the next block with the first
    `HONEST_KEYS` feeder keys, dealt over the role's bots (A6's honest feeders)."""
    keys = feeder_keys(bot, chains.role_bots, HONEST_KEYS)
    await submit_reference_price(bot, chains, rng, rec, _calm, keys=keys)
