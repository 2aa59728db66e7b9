"""The sandwich crew against a fake Delta node on the shared MockTransport: a redacted mempool
gives the watcher nothing to aim at; a full one lets it size a bracket and tell its runners
over the crew's bus, and the runners bid around the victim's fee."""

from __future__ import annotations

import asyncio
from pathlib import Path
from random import Random

import pytest
from dex_node import DexNode, FakePool, fleet_on

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.adversarial import sandwich
from botruntime.bots.bot import Bot
from botruntime.chain.tx import decode_amount
from botruntime.fleet import Chains, Crews, FleetContext, Intent
from botruntime.metrics import Recorder
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.wallet import BAX, DX

pytestmark = pytest.mark.anyio

DEPTH = 10**12
SCENARIO = Path(__file__).parents[3] / "scenarios" / "sandwich_mev.yaml"
VICTIM_FEE = 20_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def plan() -> RunPlan:
    source = PlanSource(SCENARIO.read_text(), "smoke", "seed", parse_target("simnet"), "run1")
    return compile_plan(source)


def crew_bots(run: RunPlan) -> dict[str, Bot]:
    """Crew 0's watcher, front- and back-runner, funded."""
    (crew,) = run.crews
    bots = {}
    for role in crew.roles:
        bot = Bot("seed", crew.member(0, role), role)
        bot.wallet.credit(DX, 10**11)
        bot.wallet.credit(BAX, 10**11)
        bots[role] = bot
    return bots


def victim_entry(amount: int, tolerance_bps: int, pool: FakePool) -> dict[str, object]:
    """A whale's pending swap of DX on pool 1, which crew 0 of three watches."""
    min_out = pool.out("DX", amount) * (10_000 - tolerance_bps) // 10_000
    return {
        "hash": "0" * 64,
        "sender": "dx1victim",
        "nonce": 0,
        "fee": str(VICTIM_FEE),
        "size": 600,
        "status": "pending",
        "tx": {
            "body": {
                "msgs": [
                    {
                        "type": "dex.swap",
                        "pool": 1,
                        "denom_in": "DX",
                        "amount_in": str(amount),
                        "min_out": str(min_out),
                        "deadline_height": 15,
                    }
                ]
            }
        },
    }


async def run(ctx: FleetContext, bot: Bot, fn: BehaviorFn) -> None:
    watching = asyncio.create_task(ctx.sides["delta"].watcher.run(), name="watcher")
    try:
        async with asyncio.timeout(5):
            await fn(bot, Chains(ctx, bot), Random(1), Intent(ctx, "act", "delta", 0.0))
    finally:
        watching.cancel()


def count(recorder: Recorder, name: str) -> int:
    return sum(v for key, v in recorder.flush(0).counters if key.name == name)


async def setup(
    view: str, amount: int, tolerance_bps: int
) -> tuple[DexNode, FleetContext, dict[str, Bot], Recorder]:
    pool = FakePool(1, DEPTH, DEPTH, DEPTH)
    node = DexNode(pool)
    node.view = view
    node.mempool = [victim_entry(amount, tolerance_bps, pool)]
    run_plan = plan()
    bots = crew_bots(run_plan)
    recorder = Recorder(source="t")
    ctx = await fleet_on(node, list(bots.values()), recorder, Crews(run_plan, bots.values()))
    return node, ctx, bots, recorder


async def test_a_redacted_mempool_gives_the_crew_nothing_to_aim_at() -> None:
    node, ctx, bots, recorder = await setup("redacted", 3 * DEPTH // 100, 100)
    await run(ctx, bots["sandwich_watcher"], sandwich.watch_mempool)
    assert count(recorder, "adv.pending_opaque") == 1
    await run(ctx, bots["front_runner"], sandwich.front_run)
    assert node.sent == []
    assert count(recorder, "adv.runner_idle") == 1


async def test_a_public_whale_swap_is_bracketed_over_the_crews_bus() -> None:
    node, ctx, bots, recorder = await setup("full", 3 * DEPTH // 100, 100)
    await run(ctx, bots["sandwich_watcher"], sandwich.watch_mempool)
    assert count(recorder, "adv.sandwich_candidates") == 1
    await run(ctx, bots["front_runner"], sandwich.front_run)
    await run(ctx, bots["back_runner"], sandwich.back_run)
    front, back = node.sent
    assert node.fees == [2 * VICTIM_FEE, 3 * VICTIM_FEE // 4]  # ahead of and after the victim
    assert (front["denom_in"], back["denom_in"]) == ("DX", "bAX")
    f = decode_amount(front["amount_in"])
    bought = sandwich.swap_out(f, DEPTH, DEPTH, 30)
    assert decode_amount(back["amount_in"]) == bought  # sells what the front-run buys
    assert decode_amount(back["min_out"]) == f  # and only if that pays the front-run back
    # the victim still gets its min_out (and 40 % of its room) after the front-run
    victim = 3 * DEPTH // 100
    after = sandwich.swap_out(victim, DEPTH + f, DEPTH - bought, 30)
    quoted = sandwich.swap_out(victim, DEPTH, DEPTH, 30)
    floor = quoted * 9_900 // 10_000
    assert after >= floor + (quoted - floor) * 4 // 10
    # watching again does not bracket the same victim twice
    await run(ctx, bots["sandwich_watcher"], sandwich.watch_mempool)
    assert count(recorder, "adv.sandwich_candidates") == 0


async def test_a_typical_swap_with_a_tight_tolerance_is_not_worth_a_bracket() -> None:
    """500 DX (0.05 % of the pool) at 0.1 %: at most 0.5 DX to take, less than the fees."""
    node, ctx, bots, recorder = await setup("full", 5 * DEPTH // 10_000, 10)
    await run(ctx, bots["sandwich_watcher"], sandwich.watch_mempool)
    assert count(recorder, "adv.sandwich_unprofitable") == 1
    await run(ctx, bots["front_runner"], sandwich.front_run)
    assert node.sent == []


def test_the_front_run_is_the_largest_that_keeps_the_victims_bound() -> None:
    victim = 10**10
    quoted = sandwich.swap_out(victim, DEPTH, DEPTH, 30)
    min_out = quoted * 99 // 100
    target = min_out + int((quoted - min_out) * 0.4)
    size = sandwich.front_run_size(victim, min_out, DEPTH, DEPTH, 30, DEPTH // 10)

    def out_after(front: int) -> int:
        bought = sandwich.swap_out(front, DEPTH, DEPTH, 30)
        return sandwich.swap_out(victim, DEPTH + front, DEPTH - bought, 30)

    assert size > 0
    assert out_after(size) >= target > out_after(size + 1)
