"""A bot's tx that fails in its block against a real simnet process: a swap front-run in the
same block fails on `min_out`. The intent sees it land with `slippage_exceeded`, counts it as
a reject and a failed inclusion (not a commit), the shadow ledger settles the fee only, the
bot's next tx commits at the next nonce, and reconciliation finds no mismatch."""

from __future__ import annotations

import asyncio
import copy
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from botruntime.chain.tx import Msg, TxBody, bank_send, sign_tx
from botruntime.fleet import Fleet, FleetContext, Intent
from botruntime.identity import Identity
from botruntime.metrics import Recorder
from botruntime.plan import PlanSource, Target, compile_plan
from botruntime.wallet import BAX, DX

pytestmark = pytest.mark.anyio

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
FUNDS = 10**12
RUN_SEED = "failed-in-block"


def signed(who: Identity, nonce: int, msg: Msg, fee: int) -> dict[str, Any]:
    body = TxBody("delta-simnet-1", who.delta_address, nonce, fee, (msg,), "tb:other:0:1", 0)
    return copy.deepcopy(sign_tx(who, body).to_wire())


async def sent(client: httpx.AsyncClient, tx: dict[str, Any]) -> None:
    answer = await client.post("/txs", json={"tx": tx, "mode": "sync"})
    assert answer.status_code == 200, answer.text


async def accepted(ctx: FleetContext, count: int) -> None:
    """Wait, 10 s at most, until nodes said ok to `count` of the fleet's txs."""
    for _ in range(500):
        if ctx.accepted >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{ctx.accepted} txs accepted after 10 s, waited for {count}")


def delta_fleet(simnet: Any) -> Fleet:
    """transfer_baseline's smoke size with its users paying DX, so the fleet follows Delta."""
    doc = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text())
    doc["roles"][0]["behaviours"] = {"send_dx": 1}
    doc["limits"]["max_spend_per_bot"] = {"DX": FUNDS, "bAX": FUNDS}
    target = Target(tuple(simnet.alpha), tuple(simnet.delta))
    plan = compile_plan(PlanSource(yaml.safe_dump(doc), "smoke", RUN_SEED, target, "failedtx"))
    return Fleet(plan.part(range(0, 2)), Recorder())


async def test_a_swap_failing_in_its_block_settles_the_fee_only(simnet: Any) -> None:
    fleet = delta_fleet(simnet)
    lp, attacker = Identity.derive("failed-fleet", 0), Identity.derive("failed-fleet", 1)
    bots = [Identity.derive(RUN_SEED, i) for i in range(2)]
    simnet.reset([(i.delta_address, {"DX": FUNDS, "bAX": FUNDS}) for i in (*bots, lp, attacker)])
    simnet.step(1)  # the clock pauses: blocks come from step()
    x, y = 4 * 10**9, 10**9
    swap = {"type": "dex.swap", "pool": 1, "denom_in": "DX", "deadline_height": 0}
    async with httpx.AsyncClient(base_url=simnet.delta_url(0), timeout=10) as client:
        create = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
        await sent(client, signed(lp, 0, {**create, "amount_a": str(x), "amount_b": str(y)}, 10**4))
        simnet.step(1)
        ctx = await fleet.setup()
        try:
            side = ctx.sides["delta"]
            bot, peer = fleet.bots
            amount = 10**7
            quote = await client.get(
                "/dex/pools/1/quote", params={"denom_in": "DX", "amount_in": amount}
            )
            victim = {**swap, "amount_in": str(amount), "min_out": quote.json()["amount_out"]}
            async with asyncio.TaskGroup() as tg:
                watcher = tg.create_task(side.watcher.run(), name="commit-watcher")
                intent = Intent(ctx, "swap", "delta", time.perf_counter())
                swapping = tg.create_task(
                    intent.transact(bot, [victim], spend=DX, amount=amount), name="victim"
                )
                await accepted(ctx, 1)  # the node said ok to the bot's swap
                front = {**swap, "amount_in": str(10**9), "min_out": "0"}
                await sent(client, signed(attacker, 0, front, 10 * side.fee))  # pays more: first
                await asyncio.to_thread(simnet.step, 1)
                failed = await swapping
                paying = tg.create_task(
                    Intent(ctx, "send_dx", "delta", time.perf_counter()).transact(
                        bot, [bank_send(peer.address("delta"), 10**6, "DX")], spend=DX, amount=10**6
                    ),
                    name="next-nonce",
                )
                await accepted(ctx, 2)
                await asyncio.to_thread(simnet.step, 1)
                paid = await paying
                watcher.cancel()
            assert failed is not None and (failed.ok, failed.code) == (False, "slippage_exceeded")
            assert paid is not None and paid.ok and paid.height == failed.height + 1
            counter = fleet.recorder.counter
            assert counter("n.failed", action="swap", code="slippage_exceeded").value == 1
            reject = counter("n.reject", action="swap", code="slippage_exceeded", expected="no")
            assert reject.value == 1
            assert counter("n.commit", action="swap").value == 0
            assert (ctx.accepted, ctx.committed, ctx.lost) == (2, 1, 0)
            assert bot.wallet.balance(DX) == FUNDS - 10**6 - 2 * side.fee  # one amount, 2 fees
            assert bot.wallet.balance(BAX) == FUNDS and not bot.wallet.reservations
            assert peer.wallet.balance(DX) == FUNDS + 10**6
            assert await fleet.reconcile() == (0, [])
        finally:
            await fleet.close()
