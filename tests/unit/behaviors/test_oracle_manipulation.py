"""A6's crew and auditor against a fake Delta node (pools from `dex_node`, plus a small perps
book and oracle) on the shared MockTransport: what each member sends in which block of the
script, and what the auditor counts against the reference."""

from __future__ import annotations

import asyncio
from random import Random
from typing import Any

import pytest
from dex_node import DexNode, FakePool, fleet_on

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.adversarial import oracle_manipulation as a6
from botruntime.behaviors.legitimate import oracle_audit
from botruntime.behaviors.legitimate._price_paths import calm_walk, reference_walk
from botruntime.bots.bot import Bot
from botruntime.chain.delta_models import MarginAccount
from botruntime.chain.testing import Request, answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, decode_amount
from botruntime.fleet import Chains, FleetContext, Intent
from botruntime.identity import simnet_feeder
from botruntime.metrics import Recorder
from botruntime.wallet import BAX, DX

pytestmark = pytest.mark.anyio

SEED = "seed"  # dex_node's Peers seed; the bots' run seed here
FUNDS = 10**11


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def account_wire(address: str, **fields: JsonValue) -> dict[str, JsonValue]:
    wire: dict[str, JsonValue] = {
        "address": address,
        "collateral": "0",
        "unrealised_pnl": "0",
        "equity": "0",
        "initial_margin": "0",
        "maintenance_margin": "0",
        "margin_ratio_bps": None,
        "withdrawable": "0",
        "realised_pnl": "0",
        "funding": "0",
        "liquidatable": False,
        "positions": [],
    }
    wire.update(fields)
    return wire


def position(side: str, size: int, entry: int) -> dict[str, JsonValue]:
    return {
        "market": "bAX-PERP",
        "side": side,
        "size": str(size),
        "entry_price": str(entry),
        "mark": str(entry),
        "leverage": 10,
        "unrealised_pnl": "0",
    }


class PerpsNode(DexNode):
    """`DexNode` with the perps and oracle reads A6 needs; perps messages take effect only
    through what the test writes into `accounts`."""

    def __init__(self, *pools: FakePool) -> None:
        super().__init__(*pools)
        self.accounts: dict[str, dict[str, JsonValue]] = {}
        self.liquidatable: list[dict[str, JsonValue]] = []
        self.liquidations: list[dict[str, JsonValue]] = []
        self.status = "open"
        self.senders: list[str] = []

    def __call__(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/txs":
            body: Any = request.json()
            self.senders.append(body["tx"]["body"]["sender"])
        if path.startswith("/oracle/prices/"):
            return answer(
                {
                    "pair": "bAX/DX",
                    "median": str(self.oracle),
                    "twap": str(self.oracle),
                    "age": 0,
                    "updated_height": self.height,
                    "sources": 5,
                    "move_bps": 0,
                    "status": self.status,
                }
            )
        if path == "/perps/markets/bAX-PERP":
            return answer(
                {
                    "market": "bAX-PERP",
                    "pair": "bAX/DX",
                    "mark": str(self.oracle),
                    "index": str(self.oracle),
                    "open_interest_long": "0",
                    "open_interest_short": "0",
                    "last_funding": None,
                    "funding_every_blocks": 10,
                    "status": self.status,
                    "price_age": 0,
                }
            )
        if path.startswith("/perps/accounts/"):
            address = path.rsplit("/", 1)[1]
            return answer(self.accounts.get(address, account_wire(address)))
        if path == "/perps/liquidatable":
            return answer({"accounts": self.liquidatable, "height": self.height})
        if path == "/perps/insurance_fund":
            return answer(
                {
                    "balance": "1000000000",
                    "uncovered_deficit": "0",
                    "adl_haircuts": "0",
                    "recent_liquidations": self.liquidations,
                }
            )
        if path.startswith("/accounts/"):  # feeder keys: stocked with fees, nonce 0
            address = path.split("/")[2]
            return answer({"address": address, "nonce": 0, "balances": {"DX": "1000000000"}})
        if path.startswith("/mempool/"):
            return answer({"txs": []})
        return super().__call__(request)

    def _execute(self, sender: str, msg: dict[str, Any]) -> Any:
        if str(msg["type"]).startswith(("perps.", "oracle.")):
            return ()
        return super()._execute(sender, msg)


async def setup(*pools: FakePool) -> tuple[PerpsNode, FleetContext, Bot, Recorder]:
    node = PerpsNode(*pools or (FakePool(1, 10**12, 10**12, 10**12),))
    bot = Bot(SEED, 7, "crew")
    bot.wallet.credit(DX, FUNDS)
    bot.wallet.credit(BAX, FUNDS)
    recorder = Recorder(source="t")
    ctx = await fleet_on(node, [bot], recorder)
    return node, ctx, bot, recorder


def at_block(ctx: FleetContext, node: PerpsNode, block: int) -> None:
    """Make the node's current height block `block` of the run."""
    ctx.sides["delta"].watcher.start_height = node.height - block


async def act(ctx: FleetContext, bot: Bot, fn: BehaviorFn) -> None:
    watching = asyncio.create_task(ctx.sides["delta"].watcher.run(), name="watcher")
    try:
        async with asyncio.timeout(5):
            await fn(bot, Chains(ctx, bot), Random(1), Intent(ctx, "act", "delta", 0.0))
    finally:
        watching.cancel()


def count(recorder: Recorder, name: str) -> int:
    return sum(v for key, v in recorder.flush(0).counters if key.name == name)


def test_the_calm_walk_is_the_reference_walk_without_its_gaps() -> None:
    calm = [calm_walk("s", b) for b in range(40)]
    assert calm[:10] == [reference_walk("s", b) for b in range(10)]  # before the first gap
    assert all(abs(calm[b] / calm[b - 1] - 1) < 0.02 for b in range(1, 40))
    assert calm != [reference_walk("s", b) for b in range(40)]


def test_the_rogue_path_is_40_percent_above_the_reference_only_during_the_pump() -> None:
    for block in range(30):
        rogue, honest = a6.rogue_path("s", block), calm_walk("s", block)
        assert rogue == (honest * 14 // 10 if block in a6.PUMP else honest)


def test_an_account_is_judged_at_the_reference_price() -> None:
    wire = account_wire("dx1a", collateral="100000000")
    wire["positions"] = [position("short", 1_000_000_000, 1_000_000)]  # 1,000 bAX short, 10x
    account = MarginAccount.model_validate(wire)
    assert oracle_audit.healthy_at(account, 1_000_000)
    assert oracle_audit.healthy_at(account, 1_040_000)  # equity 60 >= maintenance 52
    assert not oracle_audit.healthy_at(account, 1_060_000)  # equity 40 < 53


async def test_the_pump_buys_in_the_thinnest_pool_only_during_the_pump() -> None:
    deep, thin = FakePool(1, 10**12, 10**12, 10**12), FakePool(2, 2 * 10**10, 2 * 10**10, 10**10)
    node, ctx, bot, recorder = await setup(deep, thin)
    at_block(ctx, node, a6.PUMP.start - 1)
    await act(ctx, bot, a6.mango_pump)
    assert node.sent == []
    at_block(ctx, node, a6.PUMP.start)
    await act(ctx, bot, a6.mango_pump)
    (swap,) = node.sent
    assert (swap["pool"], swap["denom_in"]) == (2, "DX")
    assert decode_amount(swap["amount_in"]) == 2 * 10**10 * a6.PUMP_BPS // 10_000
    assert count(recorder, "adv.pump_swaps") == 1
    assert bot.wallet.balance(BAX) > FUNDS  # the swap's output, learnt from its block


async def test_the_long_opens_at_10x_withdraws_what_is_free_then_unwinds() -> None:
    node, ctx, bot, recorder = await setup()
    at_block(ctx, node, a6.OPEN_AT - 1)
    await act(ctx, bot, a6.mango_long)
    assert node.sent == []
    at_block(ctx, node, a6.OPEN_AT)
    await act(ctx, bot, a6.mango_long)
    deposit, opened = node.sent
    assert deposit == {"type": "perps.deposit", "amount": str(a6.STAKE)}
    assert (opened["side"], opened["leverage"]) == ("long", 10)
    assert decode_amount(opened["size"]) == a6.STAKE * 10 * 95 // 100  # at a mark of 1.0
    held = account_wire(
        bot.delta_address,
        collateral=str(a6.STAKE),
        equity=str(a6.STAKE * 3),
        withdrawable=str(a6.STAKE * 2),  # what a chain counting unrealised profit would say
    )
    held["positions"] = [position("long", a6.STAKE * 10 * 95 // 100, 1_000_000)]
    node.accounts[bot.delta_address] = held
    at_block(ctx, node, a6.PUMP.start + 3)
    await act(ctx, bot, a6.mango_long)
    assert node.sent[2] == {"type": "perps.withdraw", "amount": str(a6.STAKE * 2)}
    assert count(recorder, "adv.withdrawn_dx") == a6.STAKE * 2
    assert bot.wallet.balance(DX) == FUNDS - a6.STAKE - 3 * 10_000 + a6.STAKE * 2
    at_block(ctx, node, a6.UNWIND_AT)
    await act(ctx, bot, a6.mango_long)
    assert node.sent[3] == {"type": "perps.close", "market": "bAX-PERP"}


async def test_a_liquidated_hedge_is_not_reopened() -> None:
    node, ctx, bot, _ = await setup()
    at_block(ctx, node, a6.OPEN_AT)
    await act(ctx, bot, a6.mango_short)
    assert [m["type"] for m in node.sent] == ["perps.deposit", "perps.open"]
    node.accounts[bot.delta_address] = account_wire(bot.delta_address, collateral="0")
    at_block(ctx, node, a6.PUMP.start)
    await act(ctx, bot, a6.mango_short)
    assert len(node.sent) == 2


async def test_the_rogue_feeder_signs_the_fifth_key_40_percent_high_in_the_pump() -> None:
    node, ctx, bot, recorder = await setup()
    at_block(ctx, node, a6.PUMP.start - 1)  # its price is for the next block, the first pumped
    await act(ctx, bot, a6.feed_rogue)
    (price,) = node.sent
    assert node.senders == [simnet_feeder(SEED, 4).delta_address]
    reference = calm_walk(SEED, a6.PUMP.start)
    assert abs(decode_amount(price["price"]) - reference * 14 // 10) <= reference * 14 // 10_000
    assert count(recorder, "adv.rogue_prices") == 1


async def test_the_auditor_counts_blocks_off_the_reference_once_each() -> None:
    node, ctx, bot, recorder = await setup()
    at_block(ctx, node, 4)
    node.oracle = calm_walk(SEED, 4) * 103 // 100  # 3 % off
    await act(ctx, bot, oracle_audit.oracle_audit)
    await act(ctx, bot, oracle_audit.oracle_audit)  # the same block again: not counted twice
    flushed = recorder.flush(0).counters
    totals = {key.name: v for key, v in flushed}
    assert totals["adv.oracle_blocks_open"] == 1
    assert totals["adv.oracle_off_reference"] == 1
    assert 290 <= totals["adv.oracle_deviation_bps"] <= 300


async def test_the_auditor_counts_a_liquidation_healthy_at_the_reference_as_unfair() -> None:
    node, ctx, bot, recorder = await setup()
    at_block(ctx, node, 8)
    reference = calm_walk(SEED, 8)
    victim, fair = (Bot(SEED, i, "perp_trader").delta_address for i in (1, 2))
    short = account_wire(victim, collateral="100000000")
    short["positions"] = [position("short", 1_000_000_000, reference)]  # healthy at reference
    broke = account_wire(fair, collateral="10000000")
    broke["positions"] = [position("short", 1_000_000_000, reference)]  # 1 % margin: below
    node.accounts.update({victim: short, fair: broke})
    node.oracle = reference * 3 // 2  # a pumped oracle lists both
    node.liquidatable = [
        {"address": a, "equity": "-1", "maintenance_margin": "1", "below_since": 17}
        for a in (victim, fair)
    ]
    await act(ctx, bot, oracle_audit.oracle_audit)
    assert count(recorder, "adv.unfair_liquidatable") == 1
    node.liquidations = [
        {
            "height": node.height + 1,
            "account": address,
            "keeper": None,
            "notional": "1",
            "fee": "0",
            "keeper_fee": "0",
            "deficit": "0",
            "insurance_cover": "0",
            "adl_haircut": "0",
        }
        for address in (victim, fair)
    ]
    node.height += 1
    await act(ctx, bot, oracle_audit.oracle_audit)
    await act(ctx, bot, oracle_audit.oracle_audit)
    assert count(recorder, "adv.unfair_liquidations") == 1
