"""R2's traders: `swap_hot_pool` swaps only on pool #1, `swap_other_pool` never does (unless
pool #1 is the only one), over the fake Delta node of `dex_node`."""

from __future__ import annotations

import asyncio
from random import Random

import pytest
from dex_node import DexNode, FakePool, fleet_on

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.legitimate import dex
from botruntime.bots.bot import Bot
from botruntime.fleet import Chains, FleetContext, Intent
from botruntime.metrics import Recorder
from botruntime.wallet import BAX, DX

pytestmark = pytest.mark.anyio

DEPTH = 10**12


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def trader() -> Bot:
    bot = Bot("seed", 0, "trader")
    bot.wallet.credit(DX, 10**11)
    bot.wallet.credit(BAX, 10**11)
    return bot


async def swap_pools(ctx: FleetContext, bot: Bot, fn: BehaviorFn, times: int) -> None:
    watching = asyncio.create_task(ctx.sides["delta"].watcher.run(), name="watcher")
    try:
        async with asyncio.timeout(10):
            for seed in range(times):
                intent = Intent(ctx, "act", "delta", float(seed))
                await fn(bot, Chains(ctx, bot), Random(seed), intent)
    finally:
        watching.cancel()


def three_pools() -> DexNode:
    # listed out of id order: pool #1 is the lowest id, not the first listed
    return DexNode(
        FakePool(3, DEPTH // 10, DEPTH // 10, DEPTH // 10),
        FakePool(1, DEPTH, DEPTH, DEPTH),
        FakePool(2, DEPTH // 3, DEPTH // 3, DEPTH // 3),
    )


async def test_hot_pool_swaps_all_go_to_pool_one() -> None:
    node, bot = three_pools(), trader()
    ctx = await fleet_on(node, [bot], Recorder(source="t"))
    await swap_pools(ctx, bot, dex.swap_hot_pool, 6)
    assert len(node.sent) == 6
    assert {int(str(m["pool"])) for m in node.sent} == {1}


async def test_other_pool_swaps_spread_over_the_rest_and_skip_pool_one() -> None:
    node, bot = three_pools(), trader()
    ctx = await fleet_on(node, [bot], Recorder(source="t"))
    await swap_pools(ctx, bot, dex.swap_other_pool, 12)
    assert len(node.sent) == 12
    assert {int(str(m["pool"])) for m in node.sent} == {2, 3}


async def test_with_one_pool_the_other_swaps_use_it() -> None:
    node, bot = DexNode(FakePool(7, DEPTH, DEPTH, DEPTH)), trader()
    ctx = await fleet_on(node, [bot], Recorder(source="t"))
    await swap_pools(ctx, bot, dex.swap_other_pool, 2)
    assert {int(str(m["pool"])) for m in node.sent} == {7}
