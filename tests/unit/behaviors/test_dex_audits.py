"""L6's two chain-read judgements against the fake Delta node: a swap's payout held against
its quote when nothing else touched its pool (C4), and each pool's price against the oracle
once per block (C5)."""

from __future__ import annotations

import asyncio
from random import Random
from typing import Any

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


async def setup(*pools: FakePool) -> tuple[DexNode, FleetContext, Bot, Recorder]:
    node = DexNode(*pools or (FakePool(1, DEPTH, DEPTH, DEPTH),))
    bot = Bot("seed", 0, "trader")
    bot.wallet.credit(DX, 10**11)
    bot.wallet.credit(BAX, 10**11)
    recorder = Recorder(source="t")
    return node, await fleet_on(node, [bot], recorder), bot, recorder


async def act(ctx: FleetContext, bot: Bot, fn: BehaviorFn) -> None:
    watching = asyncio.create_task(ctx.sides["delta"].watcher.run(), name="watcher")
    try:
        async with asyncio.timeout(5):
            await fn(bot, Chains(ctx, bot), Random(1), Intent(ctx, "act", "delta", 0.0))
    finally:
        watching.cancel()


def counts(recorder: Recorder) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, value in recorder.flush(0).counters:
        found[key.name] = found.get(key.name, 0) + value
    return found


def foreign_swap(pool: int, code: str = "ok") -> dict[str, Any]:
    """Another user's swap on `pool`, already in the block being built."""
    msg = {"type": "dex.swap", "pool": pool, "denom_in": "DX", "amount_in": "5"}
    return {"hash": "f" * 64, "index": 0, "tx": {"body": {"msgs": [msg]}}, "code": code}


async def test_a_swap_alone_on_its_pool_pays_exactly_its_quote() -> None:
    _, ctx, bot, recorder = await setup()
    await act(ctx, bot, dex.swap)
    found = counts(recorder)
    assert found["mkt.quotes_checked"] == 1
    assert "mkt.quote_mismatch" not in found


async def test_a_swap_paying_other_than_its_quote_is_a_mismatch() -> None:
    node, ctx, bot, recorder = await setup()
    node.pay_less = True  # pays min_out - 1: 0.5 % under the quote
    await act(ctx, bot, dex.swap)
    found = counts(recorder)
    assert (found["mkt.quotes_checked"], found["mkt.quote_mismatch"]) == (1, 1)


async def test_a_swap_another_pool_message_preceded_is_not_judged() -> None:
    node, ctx, bot, recorder = await setup()
    node.pay_less = True
    node.pending.append(foreign_swap(1))
    await act(ctx, bot, dex.swap)
    found = counts(recorder)
    assert found["mkt.quotes_overtaken"] == 1
    assert "mkt.quotes_checked" not in found and "mkt.quote_mismatch" not in found


async def test_a_failed_tx_or_another_pool_does_not_overtake_a_quote() -> None:
    node, ctx, bot, recorder = await setup()
    node.pending.extend([foreign_swap(1, code="slippage_exceeded"), foreign_swap(2)])
    await act(ctx, bot, dex.swap)
    assert counts(recorder)["mkt.quotes_checked"] == 1


async def test_the_pool_audit_counts_each_pool_once_per_block() -> None:
    near = FakePool(1, DEPTH, DEPTH, DEPTH)
    off = FakePool(2, DEPTH * 102 // 100, DEPTH, DEPTH)  # bAX 2 % dear
    node, ctx, bot, recorder = await setup(near, off)
    ctx.sides["delta"].watcher.height = node.height
    await act(ctx, bot, dex.pool_audit)
    await act(ctx, bot, dex.pool_audit)  # the same block: nothing more
    found = counts(recorder)
    assert (found["mkt.pool_blocks"], found["mkt.pool_blocks_off"]) == (2, 1)
