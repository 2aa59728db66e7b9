"""Perps traders, keepers and oracle feeders against a Delta node played by `MockTransport`:
what each sends, in which order, and what its shadow ledger holds afterwards."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from random import Random
from typing import Any

import pytest

from botruntime.behaviors.legitimate import oracle, perps
from botruntime.behaviors.legitimate._price_paths import CRASH, crash_path, reference_walk
from botruntime.bots.bot import Bot
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import tx_hash
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.identity import simnet_feeder
from botruntime.metrics import Recorder
from botruntime.wallet import DX

pytestmark = pytest.mark.anyio

FEE = 5_000
FUNDS = 10_000 * 1_000_000
MARK = 1_000_000
CREATION_FEE = 10_000


def perps_account(address: str, **fields: Any) -> dict[str, Any]:
    wire: dict[str, Any] = {
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


POSITION = {
    "market": "bAX-PERP",
    "side": "long",
    "size": "500000000",
    "entry_price": "1000000",
    "mark": "1000000",
    "leverage": 5,
    "unrealised_pnl": "0",
}


@dataclass
class DeltaNode:
    """A Delta node in miniature: each accepted tx is the next block, with the code that
    `outcome` gives its message type (default "ok")."""

    status: str = "open"
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    bank: dict[str, dict[str, Any]] = field(default_factory=dict)
    liquidatable: list[dict[str, Any]] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)
    refuse_nonce_once: int | None = None  # answer bad_nonce{expected} to the first send
    blocks: list[list[dict[str, Any]]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    keeper_credit: int = 0

    def msgs(self) -> list[list[str]]:
        return [[m["type"] for m in tx["body"]["msgs"]] for tx in self.sent]

    def __call__(self, request: Request) -> Answer:
        path, height = request.path, len(self.blocks)
        if request.method == "POST" and path == "/txs":
            return self._submit(request)
        if path == "/status":
            return answer(
                {
                    "chain_id": "delta-simnet-1",
                    "node_id": "d0",
                    "height": height,
                    "time": "2026-01-01T00:00:00Z",
                    "catching_up": False,
                    "block_time_ms": 1000,
                },
                height=height,
            )
        if path == "/blocks/latest":
            return answer(
                {
                    "height": height,
                    "time": "2026-01-01T00:00:00Z",
                    "hash": "H",
                    "prev_hash": "P",
                    "txs": [],
                },
                height=height,
            )
        if path.startswith("/blocks/") and path.endswith("/txs"):
            h = int(path.split("/")[2])
            return answer({"height": h, "txs": self.blocks[h - 1]}, height=height)
        if path == "/perps/markets/bAX-PERP":
            return answer(
                {
                    "market": "bAX-PERP",
                    "pair": "bAX/DX",
                    "mark": str(MARK),
                    "index": str(MARK),
                    "open_interest_long": "0",
                    "open_interest_short": "0",
                    "last_funding": None,
                    "funding_every_blocks": 10,
                    "status": self.status,
                    "price_age": 0,
                },
                height=height,
            )
        if path.startswith("/perps/accounts/"):
            address = path.rsplit("/", 1)[1]
            return answer(self.accounts.get(address, perps_account(address)), height=height)
        if path.startswith("/perps/liquidatable"):
            return answer({"accounts": self.liquidatable, "height": height}, height=height)
        if path == "/params":
            return answer({"account_creation_fee": CREATION_FEE}, height=height)
        if path.startswith("/mempool"):
            return answer({"txs": []}, height=height)
        if path.startswith("/accounts/"):
            address = path.split("/")[2]
            account = self.bank.get(address, {"address": address, "nonce": 0, "balances": {}})
            if path.endswith("/balances"):
                return answer({"balances": account["balances"]}, height=height)
            return answer(account, height=height)
        return error_answer(404, "not_found")

    def _submit(self, request: Request) -> Answer:
        body = request.json()
        assert isinstance(body, dict)
        tx = copy.deepcopy(body["tx"])
        if self.refuse_nonce_once is not None:
            expected, self.refuse_nonce_once = self.refuse_nonce_once, None
            return error_answer(400, "bad_nonce", {"expected": expected})
        self.sent.append(tx)
        code = self.outcome.get(tx["body"]["msgs"][0]["type"], "ok")
        hashed = tx_hash(tx)
        self.blocks.append([{"hash": hashed, "index": 0, "tx": tx, "code": code}])
        if tx["body"]["msgs"][0]["type"] == "perps.liquidate" and code == "ok":
            sender = tx["body"]["sender"]
            balance = FUNDS - FEE + self.keeper_credit
            self.bank[sender] = {"address": sender, "nonce": 1, "balances": {"DX": str(balance)}}
        return answer({"hash": hashed, "code": "ok", "status": "pending"}, height=len(self.blocks))


@dataclass
class Harness:
    node: DeltaNode
    ctx: FleetContext
    transport: MockTransport

    def bot(self, index: int = 0, role: str = "perp_trader") -> Bot:
        bot = Bot("seed-1", index, role)
        bot.wallet.credit(DX, FUNDS)
        return bot

    async def act(self, fn: Any, bot: Bot, action: str, seed: int = 1) -> Intent:
        rec = Intent(self.ctx, action, "delta", 0.0)
        async with asyncio.timeout(5):
            await fn(bot, Chains(self.ctx, bot), Random(seed), rec)
        return rec

    def count(self, name: str, **labels: str) -> int:
        return self.ctx.recorder.counter(name, **labels).value


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    node = DeltaNode()
    transport = MockTransport(node)
    client = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    watcher = CommitWatcher(client, poll_s=0.001)
    await watcher.start()
    side = ChainSide("delta", [client], watcher, fee=FEE, native=DX)
    ctx = FleetContext(
        run_id="run-1",
        recorder=Recorder(),
        sides={"delta": side},
        peers=Peers("seed-1", 10),
        role_bots={"perp_trader": range(0, 8), "oracle_feeder": range(8, 9)},
    )
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(watcher.run())
        yield Harness(node, ctx, transport)
        task.cancel()


async def test_an_open_without_free_margin_deposits_first_then_opens(harness: Harness) -> None:
    bot = harness.bot()
    await harness.act(perps.perps_open, bot, "perps_open")
    assert harness.node.msgs() == [["perps.deposit"], ["perps.open"]]
    deposit, opened = (tx["body"]["msgs"][0] for tx in harness.node.sent)
    leverage = opened["leverage"]
    assert 1 <= leverage <= 10
    # 80-98 % of the deposit's reach at the chosen leverage, at the mark of 1.0
    reach = int(deposit["amount"]) * leverage
    assert reach * 80 // 100 <= int(opened["size"]) <= reach * 98 // 100
    assert bot.wallet.balance(DX) == FUNDS - int(deposit["amount"]) - 2 * FEE


async def test_a_market_that_is_not_open_is_only_read(harness: Harness) -> None:
    harness.node.status = "stale"
    await harness.act(perps.perps_open, harness.bot(), "perps_open")
    await harness.act(perps.perps_enter, harness.bot(1), "perps_enter")
    assert harness.node.sent == []


async def test_withdrawing_all_under_a_position_counts_only_when_the_chain_lets_it(
    harness: Harness,
) -> None:
    bot = harness.bot()
    harness.node.accounts[bot.delta_address] = perps_account(
        bot.delta_address,
        collateral="100000000",
        equity="100000000",
        initial_margin="80000000",
        withdrawable="20000000",
        positions=[POSITION],
    )
    harness.node.outcome["perps.withdraw"] = "margin_insufficient"
    await harness.act(perps.perps_withdraw_all, bot, "perps_withdraw_all")
    assert harness.count("mkt.withdraw_beyond_margin", action="perps_withdraw_all") == 0
    assert bot.wallet.balance(DX) == FUNDS - FEE  # in the block: the fee only
    harness.node.outcome.clear()
    await harness.act(perps.perps_withdraw_all, bot, "perps_withdraw_all")
    assert harness.count("mkt.withdraw_beyond_margin", action="perps_withdraw_all") == 1
    # free plus the position's initial margin, kept 1 % under the collateral
    assert [tx["body"]["msgs"][0]["amount"] for tx in harness.node.sent] == ["99000000"] * 2
    harness.node.accounts[bot.delta_address]["initial_margin"] = "1000000"  # 1 %: no ask
    await harness.act(perps.perps_withdraw_all, bot, "perps_withdraw_all")
    assert len(harness.node.sent) == 2


async def test_an_entry_deposits_and_opens_one_leveraged_position(harness: Harness) -> None:
    bot = harness.bot()
    await harness.act(perps.perps_enter, bot, "perps_enter", seed=3)
    assert harness.node.msgs() == [["perps.deposit"], ["perps.open"]]
    opened = harness.node.sent[1]["body"]["msgs"][0]
    low = 8 if opened["side"] == "long" else 5
    assert low <= opened["leverage"] <= 10
    assert harness.count("mkt.positions_opened", action="perps_enter") == 1
    harness.node.accounts[bot.delta_address] = perps_account(
        bot.delta_address, positions=[POSITION]
    )
    await harness.act(perps.perps_enter, bot, "perps_enter")
    assert len(harness.node.sent) == 2  # one position per trader


async def test_a_keeper_liquidates_a_listed_account_and_learns_its_fee(harness: Harness) -> None:
    keeper = harness.bot(9, "liquidator")
    victim = harness.bot(1)
    harness.node.liquidatable = [
        {
            "address": victim.delta_address,
            "equity": "-5",
            "maintenance_margin": "10",
            "below_since": 3,
        }
    ]
    harness.node.keeper_credit = 2_500_000
    await harness.act(perps.perps_liquidate, keeper, "perps_liquidate")
    assert harness.node.sent[0]["body"]["msgs"][0] == {
        "type": "perps.liquidate",
        "account": victim.delta_address,
    }
    read = [r for r in harness.transport.requests if r.path.endswith("/balances")]
    assert read[0].min_height == 1  # the liquidation's block
    assert keeper.wallet.balance(DX) == FUNDS - FEE + 2_500_000


async def test_a_keeper_waits_while_the_price_is_stale(harness: Harness) -> None:
    harness.node.status = "stale"
    harness.node.liquidatable = [
        {"address": harness.bot(1).delta_address, "equity": "-5", "maintenance_margin": "10"}
    ]
    await harness.act(perps.perps_liquidate, harness.bot(9, "liquidator"), "perps_liquidate")
    assert harness.node.sent == []


async def test_a_feeder_stocks_its_keys_then_signs_each_keys_price(harness: Harness) -> None:
    feeder = harness.bot(8, "oracle_feeder")  # the role's one bot signs all five keys
    await harness.act(oracle.feed_crash, feeder, "feed_crash")
    (stock, *prices) = harness.node.sent
    keys = [simnet_feeder("seed-1", k).delta_address for k in range(oracle.FEEDERS)]
    outputs = stock["body"]["msgs"][0]["outputs"]
    assert [o["to"] for o in outputs] == keys
    each = int(outputs[0]["amount"])
    assert feeder.wallet.balance(DX) == FUNDS - 5 * each - 5 * CREATION_FEE - FEE
    assert [tx["body"]["sender"] for tx in prices] == keys
    for tx in prices:
        (msg,) = tx["body"]["msgs"]
        assert msg["pair"] == "bAX/DX"
        assert abs(int(msg["price"]) - 1_000_000) <= 500  # the path's 1.0, within the noise


async def test_a_feeder_corrects_a_nonce_a_block_overtook(harness: Harness) -> None:
    feeder = harness.bot(8, "oracle_feeder")
    for k in range(oracle.FEEDERS):
        address = simnet_feeder("seed-1", k).delta_address
        harness.node.bank[address] = {
            "address": address,
            "nonce": 4,
            "balances": {"DX": str(100 * FEE)},
        }
    harness.node.refuse_nonce_once = 5
    await harness.act(oracle.feed_reference, feeder, "feed_reference")
    nonces = [tx["body"]["nonce"] for tx in harness.node.sent]
    assert nonces == [5, 4, 4, 4, 4]
    assert harness.count("n.reject", action="feed_reference", code="bad_nonce", expected="no") == 0


def test_feeders_split_the_keys_over_the_bots_of_their_role() -> None:
    role = range(20, 22)
    first, second = (oracle.feeder_keys(Bot("s", i, "f"), role) for i in role)
    assert [k.delta_address for k in first] == [
        simnet_feeder("s", k).delta_address for k in (0, 2, 4)
    ]
    assert [k.delta_address for k in second] == [
        simnet_feeder("s", k).delta_address for k in (1, 3)
    ]
    assert oracle.feeder_keys(Bot("s", 5, "f"), range(0, 6)) == []  # a sixth bot only reads


def test_the_crash_path_falls_25_percent_with_a_gap_and_a_wick_then_rebounds() -> None:
    prices = [crash_path(b) for b in range(40)]
    assert prices[0] == prices[11] == 1_000_000
    assert prices[21] == 750_000 and prices[26] == prices[39] == 825_000
    gap = [
        b
        for b in range(1, 40)
        if prices[b] and prices[b - 1] and 0.07 < 1 - prices[b] / prices[b - 1] < 0.09
    ]  # type: ignore[operator]
    assert gap == [14]
    assert min(p for p in prices if p) == 350_000 and crash_path(18) == 350_000
    assert [start for start, _ in CRASH] == sorted(start for start, _ in CRASH)


def test_the_reference_walk_is_the_same_for_every_feeder_of_a_seed() -> None:
    walk = [reference_walk("seed-1", b) for b in range(60)]
    assert walk == [reference_walk("seed-1", b) for b in range(60)]
    assert walk != [reference_walk("seed-2", b) for b in range(60)]
    assert walk[0] == 1_000_000
    # the first volatile regime: one -45 % gap at block 10, calm steps around it
    steps = [walk[b] / walk[b - 1] for b in range(1, 60)]
    gaps = [b + 1 for b, step in enumerate(steps) if abs(step - 1) > 0.05]
    assert gaps == [10, 40]
    assert 0.54 < steps[9] < 0.56 and 1.8 < steps[39] < 1.83
