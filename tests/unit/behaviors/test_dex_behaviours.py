"""The DEX behaviours against a fake Delta node on the shared MockTransport: what each signs,
and that the shadow ledger follows the chain's result to the unit."""

from __future__ import annotations

import asyncio
from random import Random

import pytest
from dex_node import FEE, DexNode, FakePool, fleet_on

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.legitimate import dex
from botruntime.bots.bot import Bot
from botruntime.chain.tx import decode_amount
from botruntime.fleet import Chains, FleetContext, Intent
from botruntime.metrics import Recorder
from botruntime.wallet import BAX, DX

pytestmark = pytest.mark.anyio

DEPTH = 10**12


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def funded(index: int = 0) -> Bot:
    bot = Bot("seed", index, "trader")
    bot.wallet.credit(DX, 10**11)
    bot.wallet.credit(BAX, 10**11)
    return bot


def counter(recorder: Recorder, name: str) -> int:
    delta = recorder.flush(0)
    return sum(value for key, value in delta.counters if key.name == name)


async def act(ctx: FleetContext, bot: Bot, fn: BehaviorFn, seed: int = 1) -> None:
    side = ctx.sides["delta"]
    watching = asyncio.create_task(side.watcher.run(), name="watcher")
    try:
        async with asyncio.timeout(5):
            await fn(bot, Chains(ctx, bot), Random(seed), Intent(ctx, "act", "delta", 0.0))
    finally:
        watching.cancel()


async def test_a_swap_bounds_its_output_and_the_ledger_takes_the_chains_result() -> None:
    node = DexNode(FakePool(1, DEPTH, DEPTH, DEPTH))
    bot, recorder = funded(), Recorder(source="t")
    ctx = await fleet_on(node, [bot], recorder)
    await act(ctx, bot, dex.swap)
    (msg,) = node.sent
    amount, denom_in = decode_amount(msg["amount_in"]), msg["denom_in"]
    quote = node.pools[1].out(denom_in, amount)
    assert decode_amount(msg["min_out"]) == quote * 9_950 // 10_000  # 0.5 % under the quote
    assert msg["deadline_height"] == node.height - 1 + 5  # quoted one block before it landed
    denom_out = BAX if denom_in == "DX" else DX
    held_in = DX if denom_in == "DX" else BAX
    fee = FEE if held_in is DX else 0
    assert bot.wallet.balance(held_in) == 10**11 - amount - fee
    assert bot.wallet.balance(denom_out) == 10**11 + quote - (FEE if denom_out is DX else 0)
    assert not bot.wallet.reservations
    assert counter(recorder, "mkt.min_out_violations") == 0


async def test_a_swap_paid_below_its_min_out_is_counted() -> None:
    node = DexNode(FakePool(1, DEPTH, DEPTH, DEPTH))
    node.pay_less = True
    bot, recorder = funded(), Recorder(source="t")
    await act(await fleet_on(node, [bot], recorder), bot, dex.swap)
    assert counter(recorder, "mkt.min_out_violations") == 1


async def test_remove_liquidity_asks_for_its_fair_share_less_half_a_percent() -> None:
    pool = FakePool(1, 4 * DEPTH, DEPTH, 2 * DEPTH)
    bot, recorder = funded(), Recorder(source="t")
    pool.lp[bot.delta_address] = 10**9
    node = DexNode(pool)
    await act(await fleet_on(node, [bot], recorder), bot, dex.remove_liquidity)
    (msg,) = node.sent
    shares = decode_amount(msg["shares"])
    assert 10**9 // 2 <= shares <= 10**9
    assert decode_amount(msg["min_a"]) == shares * 4 * DEPTH // (2 * DEPTH) * 9_950 // 10_000
    assert decode_amount(msg["min_b"]) == shares * DEPTH // (2 * DEPTH) * 9_950 // 10_000
    paid_a, paid_b = shares * 2, shares // 2
    assert bot.wallet.balance(DX) == 10**11 + paid_a - FEE
    assert bot.wallet.balance(BAX) == 10**11 + paid_b


async def test_add_liquidity_keeps_the_pool_ratio_and_the_ledger_pays_what_was_taken() -> None:
    node = DexNode(FakePool(1, 4 * DEPTH, DEPTH, 2 * DEPTH))
    bot, recorder = funded(), Recorder(source="t")
    await act(await fleet_on(node, [bot], recorder), bot, dex.add_liquidity)
    (msg,) = node.sent
    max_a, max_b = decode_amount(msg["max_a"]), decode_amount(msg["max_b"])
    assert max_b == -(-max_a // 4)
    fair = min(max_a * 2 * DEPTH // (4 * DEPTH), max_b * 2 * DEPTH // DEPTH)
    assert decode_amount(msg["min_shares"]) == fair * 9_950 // 10_000
    assert bot.wallet.balance(DX) == 10**11 - max_a - FEE
    assert bot.wallet.balance(BAX) == 10**11 - max_b


@pytest.mark.parametrize(("price", "denom_in"), [(990_000, "bAX"), (1_010_000, "DX")])
async def test_the_arbitrageur_swaps_a_pool_back_toward_the_oracle(
    price: int, denom_in: str
) -> None:
    """Pool 2 prices bAX at 1.0 DX; an oracle 1 % away makes it sell the dear side."""
    node = DexNode(FakePool(1, DEPTH, DEPTH, DEPTH), oracle=price)
    bot, recorder = funded(), Recorder(source="t")
    await act(await fleet_on(node, [bot], recorder), bot, dex.arbitrage)
    (msg,) = node.sent
    assert msg["denom_in"] == denom_in
    # about half of the 1 % gap in the reserve of what is sold (constant product)
    assert 0.004 * DEPTH < decode_amount(msg["amount_in"]) < 0.006 * DEPTH


async def test_the_arbitrageur_waits_while_pools_are_within_three_tenths_of_a_percent() -> None:
    node = DexNode(FakePool(1, DEPTH, DEPTH, DEPTH), oracle=1_002_000)
    bot, recorder = funded(), Recorder(source="t")
    await act(await fleet_on(node, [bot], recorder), bot, dex.arbitrage)
    assert node.sent == []
    assert counter(recorder, "mkt.arbitrage_idle") == 1
