"""Double spenders, merchants and their background customers (A2 double_spend_race) against a
scripted four-node Alpha: what a conflict set holds, where each tx goes, and what is counted
from the blocks."""

from __future__ import annotations

import asyncio
import time
from random import Random
from typing import Any

import pytest
from fake_alpha_node import CHAIN_ID, FakeAlpha, Stage, funded_bot

from botruntime.behaviors.adversarial.double_spend import ARM_S, double_spend_set
from botruntime.behaviors.legitimate.merchant import merchant_watch
from botruntime.behaviors.legitimate.transfers import pay_merchant
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import tx_hash
from botruntime.fleet import ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

B = 100 * AX.unit
FEE = 2_280
MERCHANTS = range(4, 8)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the commit watcher's futures are asyncio's


class Nodes(FakeAlpha):
    """Four nodes in front of one scripted chain: which node each tx went to, and what
    `GET /txs/{hash}` answers (failed unless told it is still pending)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_to: dict[str, int] = {}
        self.still_pending: set[str] = set()
        self.history: list[dict[str, Any]] = []
        self.posted = asyncio.Event()

    async def sent(self, count: int) -> None:
        """Until `count` txs were accepted (5 s at most)."""
        async with asyncio.timeout(5):
            while len(self.accepted) < count:
                self.posted.clear()
                await self.posted.wait()

    def at(self, node: int, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/txs":
            wire = request.json()
            assert isinstance(wire, dict) and isinstance(wire["tx"], dict)
            self.sent_to[tx_hash(wire["tx"])] = node
            answered = self.handle(request)
            self.posted.set()
            return answered
        elif request.method == "GET" and path.startswith("/txs/"):
            h = path.rsplit("/", 1)[1]
            status = "pending" if h in self.still_pending else "failed"
            return answer({"hash": h, "status": status, "code": "bad_nonce"})
        elif request.method == "GET" and path == "/txs":
            return answer({"txs": self.history, "next_cursor": None})
        return self.handle(request)


def four_nodes(nodes: Nodes) -> Stage:
    clients = [
        HttpAlphaClient(transport=MockTransport(lambda r, i=i: nodes.at(i, r)), chain_id=CHAIN_ID)
        for i in range(4)
    ]
    side = ChainSide(
        "alpha", clients, CommitWatcher(clients[0]), fee=FEE, native=AX, min_fee_base=500
    )
    recorder = Recorder()
    ctx = FleetContext(
        run_id="run-1",
        recorder=recorder,
        sides={"alpha": side},
        peers=Peers("s", 12),
        role_bots={
            "double_spender": range(0, 4),
            "merchant": MERCHANTS,
            "general_user": range(8, 12),
        },
    )
    return Stage(nodes, ctx, side, recorder)


async def land(st: Stage, height: int, txs: list[dict[str, Any]]) -> None:
    await st.land(height, txs)
    st.side.watcher.height = height


async def race(
    st: Stage, nodes: Nodes, winners: list[int], intended_ts: float | None = None
) -> Any:
    """Run one set; once its four txs are out, land `winners` (indices into the set) in block
    10, then two empty blocks. The spender, after the behaviour."""
    bot = funded_bot(ax=B, role="double_spender")
    arrival = time.perf_counter() if intended_ts is None else intended_ts
    rec = Intent(st.ctx, "double_spend_set", "alpha", arrival)
    task = asyncio.create_task(double_spend_set(bot, st.chains(bot), Random(3), rec))
    await nodes.sent(4)
    await land(st, 10, [nodes.accepted[i] for i in winners])
    await land(st, 11, [])
    await land(st, 12, [])
    async with asyncio.timeout(5):
        await task
    return bot


async def test_a_set_is_two_same_nonce_spends_of_everything_and_two_overdraws() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    await race(st, nodes, winners=[0])
    bodies = [tx["body"] for tx in nodes.accepted]
    assert [b["nonce"] for b in bodies] == [0, 0, 1, 2]
    amounts = [int(b["msgs"][0]["amount"]) for b in bodies]
    assert amounts == [B - FEE, B - FEE, B * 6 // 10, B * 6 // 10]
    payees = {b["msgs"][0]["to"] for b in bodies}
    assert payees == {st.ctx.peers.address(i, "alpha") for i in MERCHANTS}
    assert sorted(nodes.sent_to.values()) == [0, 1, 2, 3]  # each tx at its own node


async def test_a_sound_chain_commits_one_tx_of_the_set_and_the_ledger_follows() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    bot = await race(st, nodes, winners=[1])
    assert st.count("adv.sets_fired", action="double_spend_set") == 1
    assert st.count("adv.conflict_commits", action="double_spend_set") == 1
    assert st.count("adv.double_spends_committed", action="double_spend_set") == 0
    assert st.count("adv.pending_not_final", action="double_spend_set") == 3
    assert st.count("adv.losers_lingering", action="double_spend_set") == 0
    assert bot.wallet.balance(AX) == 0 and bot.accepted("alpha") == 1
    lags = [k for k in st.recorder._histograms if k.name == "adv.release_lag_s"]
    assert len(lags) == 1


async def test_two_same_nonce_commits_are_a_double_spend() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    bot = await race(st, nodes, winners=[0, 1])
    assert st.count("adv.double_spends_committed", action="double_spend_set") == 1
    assert st.count("adv.shadow_overdrawn", action="double_spend_set") == 1
    assert bot.accepted("alpha") == 2


async def test_commits_that_spend_more_than_b_are_a_double_spend() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    await race(st, nodes, winners=[2, 3])  # a chain that skipped nonce n altogether
    assert st.count("adv.double_spends_committed", action="double_spend_set") == 1


async def test_a_loser_still_pending_two_blocks_on_is_counted_per_node() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    loser: list[str] = []

    def admit(tx: dict[str, Any]) -> None:
        if tx["body"]["nonce"] == 2:
            loser.append(tx_hash(tx))
            nodes.still_pending.add(tx_hash(tx))

    nodes.admit = admit  # type: ignore[assignment]
    await race(st, nodes, winners=[0])
    assert st.count("adv.losers_lingering", action="double_spend_set", node="v1") == 1
    assert (
        sum(
            st.count("adv.losers_lingering", action="double_spend_set", node=f"v{i}")
            for i in range(1, 5)
        )
        == 4
    )


async def test_the_set_goes_out_at_the_release_not_at_the_arrival() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    sent: list[float] = []
    nodes.admit = lambda tx: sent.append(time.perf_counter())  # type: ignore[assignment,func-returns-value]
    arrival = time.perf_counter()
    await race(st, nodes, winners=[0], intended_ts=arrival)
    assert min(sent) >= arrival + ARM_S


async def test_a_spender_with_nothing_left_skips_its_arrival() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    bot = funded_bot(ax=FEE, role="double_spender")
    await double_spend_set(bot, st.chains(bot), Random(1), st.intent("double_spend_set"))
    assert nodes.accepted == []
    assert st.count("adv.sets_skipped", action="double_spend_set", why="spent") == 1


async def test_a_merchant_counts_what_left_its_block() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    nodes.history = [
        {"hash": "A" * 64, "height": 5, "index": 0},
        {"hash": "B" * 64, "height": 6, "index": 0},
    ]
    nodes.blocks[5] = [{"hash": "A" * 64, "index": 0, "tx": {}, "code": "ok"}]
    nodes.blocks[6] = []  # B was seen committed at 6 and is gone: a rewritten block
    merchant = funded_bot(4, role="merchant")
    for _ in range(2):
        await merchant_watch(merchant, st.chains(merchant), Random(1), st.intent("merchant_watch"))
    assert st.count("adv.merchant_payments", action="merchant_watch") == 2
    assert st.count("adv.finality_checks", action="merchant_watch") == 4
    assert st.count("adv.finality_violations", action="merchant_watch", height="6") == 2
    assert st.count("adv.finality_violations", action="merchant_watch", height="5") == 0


async def test_background_customers_pay_merchants_only() -> None:
    nodes = Nodes()
    st = four_nodes(nodes)
    merchants = {st.ctx.peers.address(i, "alpha") for i in MERCHANTS}
    for seed in range(12):
        customer = funded_bot(8, role="general_user")
        task = asyncio.create_task(
            pay_merchant(customer, st.chains(customer), Random(seed), st.intent("pay_merchant"))
        )
        await nodes.sent(seed + 1)
        task.cancel()
    assert {tx["body"]["msgs"][0]["to"] for tx in nodes.accepted} <= merchants
