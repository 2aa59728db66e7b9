"""R6's behaviours on a scripted chain of two nodes, the second lagging: stale writers pay what
it shows and resend what it does not show; disciplined clients pin reads and key payments."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from random import Random

import orjson
import pytest

from botruntime.behaviors import BEHAVIORS
from botruntime.behaviors.antipattern import stale
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, SignedTx, decode_tx
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher, Events
from botruntime.fleet._receipts import Receipts
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FEE = 2_000
FUNDS = 1_000 * AX.unit
CHAIN_ID = "alpha-simnet-1"


@dataclass
class Chain:
    """One bot's account on a chain that makes a block per accepted tx. Self-payments only:
    a tx costs its fee. `client_ids` refuses a key used twice (simnet's window)."""

    balance: int = FUNDS
    nonce: int = 0
    height: int = 10
    history: dict[int, tuple[int, int]] = field(default_factory=dict)  # height -> (balance, nonce)
    blocks: dict[int, list[JsonValue]] = field(default_factory=dict)
    included: dict[str, int] = field(default_factory=dict)  # hash -> height
    client_ids: set[str] = field(default_factory=set)
    signed: list[SignedTx] = field(default_factory=list)

    def account_at(self, height: int) -> tuple[int, int]:
        """(balance, nonce) as of `height`."""
        seen = [h for h in self.history if h <= height]
        return self.history[max(seen)] if seen else (FUNDS, 0)

    def broadcast(self, request: Request) -> Answer:
        assert request.body is not None
        wire = orjson.loads(request.body)["tx"]
        tx = decode_tx(wire)
        self.signed.append(tx)
        (msg,) = tx.body.msgs
        if tx.body.nonce != self.nonce:
            return error_answer(400, "bad_nonce", details={"expected": self.nonce})
        if int(str(msg["amount"])) + tx.body.fee > self.balance:
            return error_answer(400, "insufficient_funds")
        key = tx.body.client_tx_id
        if key is not None and key in self.client_ids:
            return error_answer(409, "duplicate_client_id")
        if key is not None:
            self.client_ids.add(key)
        self.height += 1
        self.balance -= tx.body.fee
        self.nonce += 1
        self.history[self.height] = (self.balance, self.nonce)
        self.blocks[self.height] = [{"hash": tx.hash, "index": 0, "tx": wire, "code": "ok"}]
        self.included[tx.hash] = self.height
        return answer({"hash": tx.hash, "code": "ok", "status": "pending"}, height=self.height)


@dataclass
class Node:
    """A node of `chain` serving it `lag` blocks behind; `honours_min_height` False is the
    stale_reads weakness, `says_catching_up` False a node hiding its lag."""

    chain: Chain
    lag: int = 0
    honours_min_height: bool = True
    says_catching_up: bool = True

    def __call__(self, request: Request) -> Answer:
        chain = self.chain
        served = chain.height - self.lag
        path = request.path.split("?")[0]
        parts = path.strip("/").split("/")
        if request.method == "POST" and path == "/txs":
            return chain.broadcast(request)
        if request.min_height is not None and self.honours_min_height:
            if request.min_height > served:
                return error_answer(409, "height_not_reached")
        if path == "/status":
            status = {
                "chain_id": CHAIN_ID,
                "node_id": "v",
                "height": served,
                "time": "2026-01-01T00:00:00Z",
                "catching_up": self.lag > 0 and self.says_catching_up,
            }
            return answer(status, height=served)
        if path == "/blocks/latest":
            block = {"height": served, "time": "0", "hash": "A", "prev_hash": "B", "txs": []}
            return answer(block, height=served)
        if parts[0] == "blocks" and parts[-1] == "txs":
            height = int(parts[1])
            return answer({"height": height, "txs": chain.blocks.get(height, [])})
        if parts[0] == "accounts":
            balance, nonce = chain.account_at(served)
            account = {"address": parts[1], "nonce": nonce, "balances": {"AX": str(balance)}}
            return answer(account, height=served)
        if parts[0] == "txs":
            at = chain.included.get(parts[1])
            visible = at is not None and at <= served
            found = {"hash": parts[1], "status": "committed" if visible else "unknown"}
            return answer({**found, **({"height": at} if visible else {})}, height=served)
        raise AssertionError(f"no answer for {request.method} {path}")


@dataclass
class Setup:
    chain: Chain
    ctx: FleetContext
    bot: Bot

    async def act(self, name: str) -> None:
        rec = Intent(self.ctx, name, "alpha", 1.5)
        await BEHAVIORS[name].fn(self.bot, Chains(self.ctx, self.bot), Random(1), rec)

    def count(self, name: str, action: str, **labels: str) -> int:
        return self.ctx.recorder.counter(name, action=action, **labels).value


async def _setup(lagging: Node) -> AsyncIterator[Setup]:
    chain = lagging.chain
    head = HttpAlphaClient(transport=MockTransport(Node(chain)), chain_id=CHAIN_ID)
    behind = HttpAlphaClient(transport=MockTransport(lagging), chain_id=CHAIN_ID)
    receipts = Receipts("run-1")

    def on_tx(
        tx_hash: str, wire: dict[str, JsonValue], code: str, height: int, events: Events
    ) -> None:
        receipts.apply(ctx.owners, wire, code, events)  # a self-payment credits its payer

    watcher = CommitWatcher(head, poll_s=0.001, on_tx=on_tx)
    side = ChainSide("alpha", [head, behind], watcher, fee=FEE, native=AX)
    ctx = FleetContext(
        run_id="run-1",
        recorder=Recorder(),
        sides={"alpha": side},
        peers=Peers("seed", 2),
        expected_codes=frozenset({"insufficient_funds", "bad_nonce", "duplicate_client_id"}),
    )
    bot = Bot("seed", 0, "stale_writer")
    bot.wallet.credit(AX, FUNDS)
    ctx.owners[bot.alpha_address] = bot
    await watcher.start()
    task = asyncio.create_task(watcher.run(), name="test-commit-watcher")
    try:
        yield Setup(chain, ctx, bot)
    finally:
        task.cancel()


@pytest.fixture
async def lagging() -> AsyncIterator[Setup]:
    async for setup in _setup(Node(Chain(), lag=3)):
        yield setup


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stale, "RESEND_AFTER_S", 0.05)
    monkeypatch.setattr(stale, "LAND_WAIT_S", 0.05)


async def test_paying_the_whole_balance_a_lagging_node_shows_is_refused_whole(
    lagging: Setup,
) -> None:
    await lagging.act("stale_pay_max")  # nothing moved yet: the stale view is right
    assert (lagging.chain.balance, lagging.chain.nonce) == (FUNDS - FEE, 1)
    await lagging.act("stale_pay_max")  # the node still shows the balance before that fee
    assert lagging.count("n.reject", "stale_pay_max", code="insufficient_funds", expected="yes")
    assert lagging.chain.balance == FUNDS - FEE  # nothing taken in part
    assert lagging.bot.wallet.balance(AX) == FUNDS - FEE
    assert lagging.bot.wallet.spendable(AX) == FUNDS - FEE  # the refused hold is released
    amounts = [tx.body.msgs[0]["amount"] for tx in lagging.chain.signed]
    assert amounts == [str(FUNDS - FEE)] * 2  # stale: one fee too many the second time
    assert [tx.body.nonce for tx in lagging.chain.signed] == [0, 1]


async def test_a_nonce_a_lagging_node_shows_is_refused_once_spent(lagging: Setup) -> None:
    await lagging.act("stale_nonce_pay")  # the stale nonce is still the next one
    await lagging.act("stale_nonce_pay")
    assert lagging.count("n.reject", "stale_nonce_pay", code="bad_nonce", expected="yes")
    assert [tx.body.nonce for tx in lagging.chain.signed] == [0, 0]
    assert lagging.bot.next_nonce("alpha") == 1  # resynced to the nonce the chain wants
    assert lagging.chain.nonce == 1


async def test_a_payment_the_lagging_node_does_not_show_is_paid_again(lagging: Setup) -> None:
    await lagging.act("stale_pay_resend")
    first, again = lagging.chain.signed
    assert first.body.memo == again.body.memo  # one intent
    assert again.body.nonce == first.body.nonce + 1
    assert lagging.chain.balance == FUNDS - 2 * FEE  # paid twice
    assert first.body.client_tx_id is None


async def test_a_disciplined_resend_carries_the_same_key_and_is_refused(lagging: Setup) -> None:
    await lagging.act("fresh_pay_once")
    first, again = lagging.chain.signed
    assert first.body.client_tx_id is not None
    assert again.body.client_tx_id == first.body.client_tx_id
    assert first.body.timeout_height == 10 + stale.DEADLINE_BLOCKS
    assert lagging.chain.balance == FUNDS - FEE  # paid once
    assert lagging.count("n.reject", "fresh_pay_once", code="duplicate_client_id", expected="yes")
    assert lagging.count("chain.client_id_ignored", "fresh_pay_once") == 0


@pytest.mark.parametrize(
    ("honours", "says_catching_up", "reads", "reported"),
    [(True, True, "honoured", "honest"), (False, False, "stale", "dishonest")],
)
async def test_min_height_reads_of_the_lagging_node(
    honours: bool, says_catching_up: bool, reads: str, reported: str
) -> None:
    node = Node(Chain(), lag=3, honours_min_height=honours, says_catching_up=says_catching_up)
    async for setup in _setup(node):
        await setup.act("min_height_read")
        assert setup.count("chain.min_height_reads", "min_height_read", outcome=reads) == 1
        assert setup.count("chain.lag_reported", "min_height_read", outcome=reported) == 1
