"""Delta DEX users (L6 `dex_swaps_lp`, the victims and liquidity of A5 `sandwich_mev`).

Traders quote, then swap with `min_out = quote·(1 - tolerance)` and a deadline five blocks
ahead; LPs add and remove liquidity proportionally within 0.5 % bounds; arbitrageurs swap the
pool furthest from the oracle back toward it; readers quote and read pools and TWAPs. What a
swap pays out, and what an add takes, is decided on chain: the tx is sent with
`amounts_on_chain` and the shadow ledger learns the amounts from the block's tx result.

Every figure recorded here is the chain's answer, not the behaviour's own arithmetic: a
swap's output is the `dex.swap` result of its block (`mkt.min_out_violations` when it pays
less than the tx's own `min_out`; `mkt.swap_notional_dx` is its input in DX at the pool's
price when quoted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Final, cast

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain._delta_models import Pool, Quote
from botruntime.chain._delta_msgs import dex_add_liquidity, dex_remove_liquidity, dex_swap
from botruntime.chain.delta import DeltaClient
from botruntime.chain.tx import JsonValue
from botruntime.wallet import BAX, DX, Denom

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent, Landed

__all__ = [
    "add_liquidity",
    "arbitrage",
    "deposit_value_dx",
    "hot_pool",
    "judge_quote",
    "pick_pool",
    "pool_audit",
    "quote_swap",
    "read_pool",
    "read_twap",
    "remove_liquidity",
    "send_swap",
    "swap",
    "swap_hot_pool",
    "swap_other_pool",
    "swap_victim",
]

PRICE_SCALE: Final = 1_000_000  # prices on the wire: DX base units per whole bAX
ORACLE_PAIR: Final = "bAX/DX"
DEADLINE_BLOCKS: Final = 5
# L6 sizes: lognormal, median 0.05 % of the input reserve, 2 % of swaps at >= 1 %:
# P(X >= 20·median) = 0.02 gives sigma = ln 20 / z(0.98) = 2.996 / 2.054
_MEDIAN_OF_DEPTH: Final = 0.0005
_SIGMA: Final = 1.46
_MAX_OF_DEPTH: Final = 0.05
_TOLERANCE_BPS: Final = 50  # min_out = quote·(1 - 0.5 %)
_LP_BOUND_BPS: Final = 50  # add/remove: 0.5 % min/max bounds
_LP_OF_DEPTH: Final = 0.002  # an LP adds ~0.2 % of the pool
_ARB_TRIGGER_BPS: Final = 30  # the arbitrageur acts when |pool - oracle| > 0.3 %
_QUOTE_PPM: Final = 1_000_000  # L6 C4: |executed - quoted| / quoted <= 1e-6
_QUOTE_BLOCKS: Final = 3  # blocks between quote and execution a swap is still judged over
_POOL_OFF_BPS: Final = 100  # L6 C5: a pool more than 1 % from the oracle


def delta_of(chains: Chains) -> DeltaClient:
    """The bot's Delta client as the DEX protocol (the fleet builds an HttpDeltaClient)."""
    return cast(DeltaClient, chains.delta)


def pick_pool(pools: list[Pool], rng: Random) -> Pool | None:
    return pools[rng.randrange(len(pools))] if pools else None


def other(pool: Pool, denom: str) -> str:
    return pool.denom_b if denom == pool.denom_a else pool.denom_a


def value_dx(pool: Pool, denom: str, amount: int) -> int:
    """`amount` of `denom` in DX at the pool's spot price (DX itself as is)."""
    if denom == DX.value:
        return amount
    return amount * pool.reserve(DX.value) // max(1, pool.reserve(denom))


def deposit_value_dx(pool: Pool, amount_a: int, amount_b: int) -> int:
    return value_dx(pool, pool.denom_a, amount_a) + value_dx(pool, pool.denom_b, amount_b)


def bax_price(pool: Pool) -> int:
    """Price of a whole bAX in DX base units in this pool (PRICE_SCALE is 1.0)."""
    return pool.reserve(DX.value) * PRICE_SCALE // max(1, pool.reserve(BAX.value))


def affordable(bot: Bot, denom: str, fee: int) -> int:
    """What the bot can put into a swap of `denom` and still pay the fee in DX."""
    spendable = bot.wallet.spendable(Denom(denom))
    return max(0, spendable - fee) if denom == DX.value else spendable


def lognormal_size(rng: Random, depth: int) -> int:
    size = rng.lognormvariate(math.log(depth * _MEDIAN_OF_DEPTH), _SIGMA)
    return int(min(size, depth * _MAX_OF_DEPTH))


async def _pools(rec: Intent, delta: DeltaClient) -> list[Pool]:
    return await rec.query("dex_pools", delta.pools()) or []


async def send_swap(
    bot: Bot,
    chains: Chains,
    rec: Intent,
    pool: Pool,
    denom_in: str,
    amount_in: int,
    tolerance_bps: int,
) -> tuple[Quote, Landed] | None:
    """Quote, then swap with `min_out = quote·(1 - tolerance)` and a 5-block deadline; the
    quote and the block the swap landed in (None when it was not sent or never landed)."""
    delta = delta_of(chains)
    amount_in = min(amount_in, affordable(bot, denom_in, chains.side("delta").fee))
    if amount_in <= 0:
        rec.count("mkt.swaps_skipped", why="funds")
        return None
    quote = await rec.query(
        "dex_quote", delta.quote(pool.id, denom_in=denom_in, amount_in=amount_in)
    )
    if quote is None or quote.amount_out == 0:
        return None
    min_out = quote.amount_out * (10_000 - tolerance_bps) // 10_000
    msg = dex_swap(pool.id, denom_in, amount_in, min_out, quote.height + DEADLINE_BLOCKS)
    rec.count("mkt.swap_notional_dx", by=value_dx(pool, denom_in, amount_in))
    landed = await rec.transact(
        bot, [msg], spend=Denom(denom_in), amount=amount_in, amounts_on_chain=True
    )
    if landed is None:
        return None
    result = landed.event("dex.swap")
    if result is not None:
        paid = int(str(result.get("amount_out", "0")))
        if paid < min_out:  # the chain's result against the tx's own bound
            rec.count("mkt.min_out_violations", pool=str(pool.id))
        # what the swap got below its quote, in DX: the victim loss of A5 (quoted - executed)
        shortfall = max(0, quote.amount_out - paid)
        rec.count("mkt.swap_shortfall_dx", by=value_dx(pool, quote.denom_out, shortfall))
    return quote, landed


def hot_pool(pools: list[Pool]) -> Pool | None:
    """Pool #1, the one most swaps hit (R2 `hot_account`): the lowest id."""
    return min(pools, key=lambda p: p.id) if pools else None


async def _swap_in(
    bot: Bot, chains: Chains, rng: Random, rec: Intent, pool: Pool | None
) -> tuple[Quote, Landed] | None:
    """A lognormal swap (median 0.05 % of the pool) with 0.5 % slippage tolerance on `pool`."""
    if pool is None:
        return None
    denom_in = rng.choice((pool.denom_a, pool.denom_b))
    size = lognormal_size(rng, pool.reserve(denom_in))
    return await send_swap(bot, chains, rec, pool, denom_in, size, _TOLERANCE_BPS)


@behavior("swap", group="legitimate", chain="delta", sends_tx=True)
async def swap(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Swap a lognormal amount (median 0.05 % of the pool) with 0.5 % slippage tolerance,
    then hold what it paid against its quote (`judge_quote`)."""
    pool = pick_pool(await _pools(rec, delta_of(chains)), rng)
    sent = await _swap_in(bot, chains, rng, rec, pool)
    if pool is not None and sent is not None:
        await judge_quote(chains, rec, pool.id, *sent)


def _touches(entry: JsonValue, pool_id: int) -> bool:
    """Whether a block's tx entry is a committed DEX message on pool `pool_id`."""
    if not isinstance(entry, dict) or entry.get("code", "ok") != "ok":
        return False
    tx = entry.get("tx")
    body = tx.get("body") if isinstance(tx, dict) else None
    msgs = body.get("msgs") if isinstance(body, dict) else None
    return isinstance(msgs, list) and any(
        isinstance(m, dict)
        and str(m.get("type", "")).startswith("dex.")
        and m.get("pool") == pool_id
        for m in msgs
    )


async def judge_quote(
    chains: Chains, rec: Intent, pool_id: int, quote: Quote, landed: Landed
) -> None:
    """L6 C4: a swap that no other DEX message on its pool preceded, between the block its
    quote was read at and its own place in its block, must pay its quote within 1e-6
    (`mkt.quotes_checked`, `mkt.quote_mismatch`); one that another preceded is
    `mkt.quotes_overtaken`, one that waited more than `_QUOTE_BLOCKS` blocks is not judged.
    The blocks in between are read from the chain (`GET /blocks/{h}/txs`)."""
    result = landed.event("dex.swap")
    if result is None or not landed.ok:
        return
    if landed.height - quote.height > _QUOTE_BLOCKS:
        rec.count("mkt.quotes_unjudged")
        return
    delta = delta_of(chains)
    for height in range(quote.height + 1, landed.height + 1):
        txs = await rec.query("block_txs", delta.block_txs(height, min_height=height))
        if txs is None:
            return
        for position, entry in enumerate(txs):
            if height == landed.height and position >= landed.index:
                break
            if _touches(entry, pool_id):
                rec.count("mkt.quotes_overtaken")
                return
    rec.count("mkt.quotes_checked")
    paid = int(str(result.get("amount_out", "0")))
    if abs(paid - quote.amount_out) * _QUOTE_PPM > quote.amount_out:
        rec.count("mkt.quote_mismatch", pool=str(pool_id))


@behavior("swap_victim", group="legitimate", chain="delta", sends_tx=True)
async def swap_victim(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A5's victim: 10 % whales at 2-4 % of the pool, the rest lognormal; tolerance 1 % for
    80 % of swaps, 0.1 % for 20 % (`mkt.tight_swaps` counts those)."""
    pool = pick_pool(await _pools(rec, delta_of(chains)), rng)
    if pool is None:
        return
    denom_in = rng.choice((pool.denom_a, pool.denom_b))
    depth = pool.reserve(denom_in)
    whale = rng.random() < 0.10
    size = int(depth * rng.uniform(0.02, 0.04)) if whale else lognormal_size(rng, depth)
    tight = rng.random() < 0.20
    sent = await send_swap(bot, chains, rec, pool, denom_in, size, 10 if tight else 100)
    if sent is not None and tight:
        rec.count("mkt.tight_swaps")


@behavior("add_liquidity", group="legitimate", chain="delta", sends_tx=True)
async def add_liquidity(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Add ~0.2 % of a pool in its own ratio, asking for at least 99.5 % of the fair shares."""
    delta = delta_of(chains)
    pool = pick_pool(await _pools(rec, delta), rng)
    if pool is None:
        return
    fee = chains.side("delta").fee
    fraction = _LP_OF_DEPTH * rng.uniform(0.5, 1.5)
    want_a = int(pool.reserve_a * fraction)
    # no more than half of what the bot holds of either side
    cap_a = affordable(bot, pool.denom_a, fee) // 2
    cap_b = affordable(bot, pool.denom_b, fee) // 2
    want_a = min(want_a, cap_a, cap_b * pool.reserve_a // max(1, pool.reserve_b))
    max_a = want_a
    max_b = -(-want_a * pool.reserve_b // pool.reserve_a)  # the pool's ratio, rounded up
    shares = min(
        max_a * pool.total_shares // pool.reserve_a, max_b * pool.total_shares // pool.reserve_b
    )
    if shares <= 0 or max_b > cap_b:
        rec.count("mkt.lp_skipped", why="funds")
        return
    min_shares = shares * (10_000 - _LP_BOUND_BPS) // 10_000
    # one tx in flight per bot: the non-DX side is held, the DX side sized from spendable
    held = pool.denom_b if pool.denom_a == DX.value else pool.denom_a
    await rec.transact(
        bot,
        [dex_add_liquidity(pool.id, max_a, max_b, min_shares)],
        spend=Denom(held),
        amount=max_b if held == pool.denom_b else max_a,
        amounts_on_chain=True,
    )


@behavior("remove_liquidity", group="legitimate", chain="delta", sends_tx=True)
async def remove_liquidity(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Remove 50-100 % of the bot's shares of a pool, asking for 99.5 % of the fair amounts."""
    delta = delta_of(chains)
    pool = pick_pool(await _pools(rec, delta), rng)
    if pool is None:
        return
    held = await rec.query("dex_shares", delta.lp_shares(pool.id, bot.delta_address))
    if held is None or held.shares == 0:
        rec.count("mkt.lp_skipped", why="no_shares")
        return
    shares = max(1, held.shares * rng.randint(50, 100) // 100)
    keep = 10_000 - _LP_BOUND_BPS
    min_a = shares * pool.reserve_a // pool.total_shares * keep // 10_000
    min_b = shares * pool.reserve_b // pool.total_shares * keep // 10_000
    await rec.transact(
        bot,
        [dex_remove_liquidity(pool.id, shares, min_a, min_b)],
        spend=DX,
        amount=0,
        amounts_on_chain=True,
    )


@behavior("arbitrage", group="legitimate", chain="delta", sends_tx=True)
async def arbitrage(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Swap the pool furthest from the oracle's bAX/DX price back toward it, when it is more
    than 0.3 % away (`mkt.arbitrage_idle` otherwise)."""
    delta = delta_of(chains)
    pools = await _pools(rec, delta)
    oracle = await rec.query("oracle_price", delta.price(ORACLE_PAIR))
    if not pools or oracle is None or oracle.median == 0:
        return
    target = oracle.median

    def gap_bps(pool: Pool) -> int:
        return abs(bax_price(pool) - target) * 10_000 // target

    pool = max(pools, key=gap_bps)
    if gap_bps(pool) <= _ARB_TRIGGER_BPS:
        rec.count("mkt.arbitrage_idle")
        return
    x, y = pool.reserve(DX.value), pool.reserve(BAX.value)
    # constant product: the bAX reserve at which x/y equals the target, y' = √(k / p)
    y_target = math.isqrt(x * y * PRICE_SCALE // target)
    if bax_price(pool) > target:  # bAX dear in the pool: sell bAX into it
        denom_in, amount = BAX.value, y_target - y
    else:  # bAX cheap: buy it with DX
        denom_in, amount = DX.value, x * y // max(1, y_target) - x
    amount = min(amount, int(pool.reserve(denom_in) * _MAX_OF_DEPTH))
    if amount <= 0:
        rec.count("mkt.arbitrage_idle")
        return
    await send_swap(bot, chains, rec, pool, denom_in, amount, _TOLERANCE_BPS)


@behavior("quote_swap", group="legitimate", chain="delta")
async def quote_swap(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask what a typical swap on a pool would pay now."""
    delta = delta_of(chains)
    pool = pick_pool(await _pools(rec, delta), rng)
    if pool is not None:
        denom_in = rng.choice((pool.denom_a, pool.denom_b))
        size = max(1, lognormal_size(rng, pool.reserve(denom_in)))
        await rec.query("dex_quote", delta.quote(pool.id, denom_in=denom_in, amount_in=size))


@behavior("read_pool", group="legitimate", chain="delta")
async def read_pool(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read every pool's reserves and prices, then one pool again (a price screen)."""
    delta = delta_of(chains)
    pool = pick_pool(await _pools(rec, delta), rng)
    if pool is not None:
        await rec.query("dex_pool", delta.pool(pool.id))


@behavior("read_twap", group="legitimate", chain="delta")
async def read_twap(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read a pool's 10-block TWAP."""
    delta = delta_of(chains)
    pool = pick_pool(await _pools(rec, delta), rng)
    if pool is not None:
        await rec.query("dex_twap", delta.twap(pool.id, window=10))


@dataclass(slots=True)
class _PoolAudit:
    last_height: int = -1


@behavior("pool_audit", group="legitimate", chain="delta")
async def pool_audit(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """L6 C5, once per block the bot's commit watcher saw: each pool's bAX price against the
    oracle's median, both read from the chain. `mkt.pool_blocks` counts (pool, block) pairs,
    `mkt.pool_blocks_off` those more than 1 % away."""
    state = bot.state if isinstance(bot.state, _PoolAudit) else _PoolAudit()
    bot.state = state
    height = chains.side("delta").watcher.height
    if height == state.last_height:
        return
    delta = delta_of(chains)
    oracle = await rec.query("oracle_price", delta.price(ORACLE_PAIR))
    pools = await rec.query("dex_pools", delta.pools())
    if oracle is None or oracle.median == 0 or not pools:
        return
    state.last_height = height
    for pool in pools:
        if {pool.denom_a, pool.denom_b} != {DX.value, BAX.value}:
            continue
        rec.count("mkt.pool_blocks", pool=str(pool.id))
        if abs(bax_price(pool) - oracle.median) * 10_000 > _POOL_OFF_BPS * oracle.median:
            rec.count("mkt.pool_blocks_off", pool=str(pool.id))


@behavior("swap_hot_pool", group="legitimate", chain="delta", sends_tx=True)
async def swap_hot_pool(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A lognormal swap with 0.5 % tolerance on pool #1 only: the hot pool most of a
    market's swaps hit (R2); its quote is not judged (that is L6's)."""
    await _swap_in(bot, chains, rng, rec, hot_pool(await _pools(rec, delta_of(chains))))


@behavior("swap_other_pool", group="legitimate", chain="delta", sends_tx=True)
async def swap_other_pool(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A lognormal swap with 0.5 % tolerance on any pool but #1 (pool #1 itself when it is
    the only one)."""
    pools = await _pools(rec, delta_of(chains))
    hot = hot_pool(pools)
    others = [p for p in pools if p is not hot] or pools
    await _swap_in(bot, chains, rng, rec, pick_pool(others, rng))
