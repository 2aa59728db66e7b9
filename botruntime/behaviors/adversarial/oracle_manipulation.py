"""A6 `oracle_manipulation`: a Mango-style crew that tries to move the oracle marking Delta's
perps and cash in on it.

The crew (`crew: mango`, one bot of each role on one worker) follows one schedule, counted in
blocks from the run's first block (`run_block`), the same at every size:

- `mango_long` (A) and `mango_short` (B) each deposit `STAKE` and open a 10x position from
  block `OPEN_AT`, offsetting each other: at an honest oracle their PnL sums to minus fees.
- `mango_pump` (C) buys bAX with DX in the thinnest DX/bAX pool in every block of `PUMP`.
- `feed_rogue` (F) signs the fifth feeder key: the reference price for every block, 40 %
  above it in the blocks of `PUMP`.
- From block `PUMP.start + 3` A and B withdraw whatever the chain calls withdrawable: an
  oracle that follows the pump, and a margin rule that counts unrealised profit, pay A out.
- From `UNWIND_AT` A and B close their positions and withdraw their collateral; C keeps the
  bAX it bought (valued at the oracle's median by the crew audit at the end of the run).

What the attack earned is read from the chain at the end (`adv.crew_profit_dx`, every crew
bot's balances and margin equity against its genesis funding). The counters here say what
the crew tried: `adv.pump_swaps`, `adv.rogue_prices` and `adv.withdrawn_dx` (what A and B
withdrew while their positions were open, as the committed withdrawals paid it).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.legitimate._price_paths import calm_walk
from botruntime.behaviors.legitimate.dex import send_swap
from botruntime.behaviors.legitimate.oracle import (
    FEEDERS,
    HONEST_KEYS,
    run_block,
    submit_reference_price,
)
from botruntime.behaviors.legitimate.perps import MARKET, delta_of
from botruntime.bots.bot import Bot
from botruntime.chain import perps as m
from botruntime.identity import simnet_feeder
from botruntime.wallet import BAX, DX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.chain.delta_models import Pool
    from botruntime.fleet import Chains, Intent

__all__ = [
    "OPEN_AT",
    "PUMP",
    "ROGUE_PPM",
    "STAKE",
    "UNWIND_AT",
    "feed_rogue",
    "mango_long",
    "mango_pump",
    "mango_short",
    "rogue_path",
]

OPEN_AT: Final = 3
PUMP: Final = range(5, 13)
WITHDRAW_FROM: Final = PUMP.start + 3
UNWIND_AT: Final = PUMP.stop + 1
STAKE: Final = 1_000 * 1_000_000  # DX each of A and B puts up
LEVERAGE: Final = 10
ROGUE_PPM: Final = 1_400_000  # the rogue feeder's outlier: +40 %
PUMP_BPS: Final = 250  # each pump swap puts in 2.5 % of the thin pool's DX reserve
_PPM: Final = 1_000_000
_WHOLE: Final = 1_000_000
_PUMP_TOLERANCE_BPS: Final = 300


@dataclass(slots=True)
class _Hedge:
    opened: bool = False  # the position was opened once: a liquidated one is not reopened


def rogue_path(seed: str, block: int) -> int | None:
    """The reference walk, 40 % above it during the pump."""
    price = calm_walk(seed, block)
    return price * ROGUE_PPM // _PPM if block in PUMP else price


async def _hedge(bot: Bot, chains: Chains, rec: Intent, side: m.Side) -> None:
    block = run_block(chains)
    delta = delta_of(chains)
    state = bot.state if isinstance(bot.state, _Hedge) else _Hedge()
    bot.state = state
    account = await rec.query("perps_account", delta.perps_account(bot.delta_address))
    if account is None or block < OPEN_AT:
        return
    if block >= UNWIND_AT:
        if account.positions:
            await rec.transact(bot, [m.perps_close(MARKET)], spend=DX, amount=0)
        elif account.withdrawable > 0:
            await rec.transact(bot, [m.perps_withdraw(account.withdrawable)], spend=DX, amount=0)
        return
    if not state.opened:
        if block >= PUMP.stop:
            return
        market = await rec.query("perps_market", delta.market(MARKET))
        if market is None or market.status != "open":
            return
        if account.collateral < STAKE:
            deposit = STAKE - max(account.collateral, 0)
            landed = await rec.transact(bot, [m.perps_deposit(deposit)], spend=DX, amount=deposit)
            if landed is None or not landed.ok:
                return
        size = STAKE * LEVERAGE * 95 // 100 * _WHOLE // max(market.mark, 1)
        msg = m.perps_open(MARKET, side, size, LEVERAGE, 0, False)
        opened = await rec.transact(bot, [msg], spend=DX, amount=0)
        state.opened = opened is not None and opened.ok
        return
    if block >= WITHDRAW_FROM and account.positions and account.withdrawable > _WHOLE:
        amount = account.withdrawable
        landed = await rec.transact(bot, [m.perps_withdraw(amount)], spend=DX, amount=0)
        if landed is not None and landed.ok:
            rec.count("adv.withdrawn_dx", by=amount, tx=bot.last_tx)


@behavior("mango_long", group="adversarial", chain="delta", sends_tx=True)
async def mango_long(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A: 10x long on the thin market, withdrawing what the chain calls free during the pump."""
    await _hedge(bot, chains, rec, "long")


@behavior("mango_short", group="adversarial", chain="delta", sends_tx=True)
async def mango_short(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """B: the offsetting 10x short."""
    await _hedge(bot, chains, rec, "short")


def thinnest(pools: list[Pool]) -> Pool | None:
    """The DX/bAX pool with the smallest DX reserve (the one a spot oracle would read)."""
    pairs = [p for p in pools if {p.denom_a, p.denom_b} == {DX.value, BAX.value}]
    return min(pairs, key=lambda p: p.reserve(DX.value), default=None)


@behavior("mango_pump", group="adversarial", chain="delta", sends_tx=True)
async def mango_pump(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """C: during the pump, buy bAX with 2.5 % of the thinnest pool's DX reserve per swap."""
    if run_block(chains) not in PUMP:
        return
    pools = await rec.query("dex_pools", delta_of(chains).pools()) or []
    pool = thinnest(pools)
    if pool is None:
        return
    amount = pool.reserve(DX.value) * PUMP_BPS // 10_000
    sent = await send_swap(bot, chains, rec, pool, DX.value, amount, _PUMP_TOLERANCE_BPS)
    if sent is not None:
        rec.count("adv.pump_swaps", tx=bot.last_tx)


@behavior("feed_rogue", group="adversarial", chain="delta", sends_tx=True)
async def feed_rogue(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """F: sign the last feeder key (one of five) with +40 % outliers during the pump."""
    pumping = run_block(chains) + 1 in PUMP
    keys = [simnet_feeder(bot.run_seed, k) for k in range(HONEST_KEYS, FEEDERS)]
    sent = await submit_reference_price(bot, chains, rng, rec, rogue_path, keys=keys)
    if pumping and sent:
        rec.count("adv.rogue_prices", by=sent)
