"""R2 `hot_account`'s payouts and payments against a scripted Alpha node with per-sender nonce
queues: naive shared-key workers sign at the chain's nonce and collide on `bad_nonce`, the
sequencer pipelines consecutive nonces, a batch pays 20 users in one multisend, payers pay the
merchant; the shadow ledger follows only what committed."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from random import Random

import orjson
import pytest

from botruntime.behaviors import BehaviorFn
from botruntime.behaviors.antipattern import hot
from botruntime.behaviors.legitimate import payouts, transfers
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, SignedTx, canonical_json, decode_amount, decode_tx
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FEE = 2_000
SEED = "seed"
FUNDS = 10_000 * AX.unit
ROLES = {"hot": range(0, 1), "merchant": range(1, 2), "payer": range(2, 32)}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class NonceNode:
    """Alpha as a hot key meets it. A tx must carry its sender's next free nonce (the committed
    nonce plus its pending txs; with `pipelining` off, only the committed nonce: simnet's
    `one_pending_per_sender`), else `bad_nonce` names the nonce expected (the next free one
    when a pending tx holds the nonce). Pending txs wait
    until `block()` (or, with `auto_blocks`, the commit watcher's next look) commits them."""

    pipelining: bool = True
    auto_blocks: bool = True
    height: int = 10
    nonces: dict[str, int] = field(default_factory=dict)
    pending: list[tuple[SignedTx, JsonValue]] = field(default_factory=list)
    blocks: dict[int, list[JsonValue]] = field(default_factory=dict)
    submitted: list[SignedTx] = field(default_factory=list)
    committed: list[SignedTx] = field(default_factory=list)

    def block(self) -> None:
        self.height += 1
        self.blocks[self.height] = [
            {"hash": tx.hash, "index": i, "tx": wire, "code": "ok"}
            for i, (tx, wire) in enumerate(self.pending)
        ]
        for tx, _ in self.pending:
            self.nonces[tx.body.sender] = tx.body.nonce + 1
            self.committed.append(tx)
        self.pending.clear()

    def __call__(self, request: Request) -> Answer | Awaitable[Answer]:
        path = request.path.split("?")[0]
        parts = path.strip("/").split("/")
        if request.method == "POST" and path == "/txs":
            return self._broadcast(request)
        if path == "/blocks/latest":
            if self.auto_blocks and self.pending:
                self.block()
            return answer(_block(self.height))
        if parts[0] == "blocks" and parts[-1] == "txs":
            height = int(parts[1])
            return answer({"height": height, "txs": self.blocks.get(height, [])})
        if parts[0] == "accounts":
            nonce = self.nonces.get(parts[1], 0)
            return answer({"address": parts[1], "nonce": nonce, "pubkey": None, "balances": {}})
        raise AssertionError(f"the fake node has no answer for {request.method} {path}")

    async def _broadcast(self, request: Request) -> Answer:
        """Judged once the tx reached the node: other senders run meanwhile, as they do
        while a request crosses a network."""
        await asyncio.sleep(0)
        assert request.body is not None
        wire = orjson.loads(request.body)["tx"]
        tx = decode_tx(wire)
        self.submitted.append(tx)
        sender = tx.body.sender
        committed = self.nonces.get(sender, 0)
        next_free = committed + sum(1 for p, _ in self.pending if p.body.sender == sender)
        nonce = tx.body.nonce
        if committed <= nonce < next_free:  # taken by a pending tx: send the next free one
            return error_answer(400, "bad_nonce", {"expected": next_free})
        expected = next_free if self.pipelining else committed
        if nonce != expected:
            return error_answer(400, "bad_nonce", {"expected": expected})
        self.pending.append((tx, wire))
        return answer({"hash": tx.hash, "code": "ok", "status": "pending"}, height=self.height)


def _block(height: int) -> dict[str, JsonValue]:
    return {
        "height": height,
        "time": "2026-01-01T00:00:00.000000Z",
        "hash": f"H{height}",
        "prev_hash": f"H{height - 1}",
        "txs": [],
    }


@dataclass
class Desk:
    node: NonceNode
    ctx: FleetContext
    hot: Bot

    def chains(self, bot: Bot | None = None) -> Chains:
        return Chains(self.ctx, bot or self.hot)

    async def act(self, fn: BehaviorFn, *, bot: Bot | None = None, ts: float = 0.0) -> None:
        intent = Intent(self.ctx, "act", "alpha", ts)
        await fn(bot or self.hot, self.chains(bot), Random(int(ts * 1000)), intent)

    def count(self, name: str, **labels: str) -> int:
        return self.ctx.recorder.counter(name, action="act", **labels).value

    async def settled(self, commits: int) -> None:
        """Wait until the fired txs' landings settled `commits` commits."""
        await until(lambda: self.count("n.commit") >= commits)


async def until(check: Callable[[], bool], within_s: float = 5.0) -> None:
    """Wait for `check()` to hold (the watcher and the behaviours run meanwhile)."""
    async with asyncio.timeout(within_s):
        for _ in itertools.count():
            if check():
                return
            await asyncio.sleep(0.005)


@pytest.fixture
async def desk() -> AsyncIterator[Desk]:
    node = NonceNode()
    client = HttpAlphaClient(transport=MockTransport(node), chain_id="alpha-simnet-1")
    watcher = CommitWatcher(client, poll_s=0.001)
    side = ChainSide(
        "alpha", [client], watcher, fee=FEE, native=AX, min_fee_base=500, min_fee_per_byte=1
    )
    ctx = FleetContext(
        run_id="run-1",
        recorder=Recorder(),
        sides={"alpha": side},
        peers=Peers(SEED, 32),
        role_bots=ROLES,
    )
    hot_wallet = Bot(SEED, 0, "hot")
    hot_wallet.wallet.credit(AX, FUNDS)
    await watcher.start()
    task = asyncio.create_task(watcher.run(), name="test-commit-watcher")
    try:
        yield Desk(node, ctx, hot_wallet)
    finally:
        task.cancel()


def paid(txs: list[SignedTx]) -> int:
    """What `txs` moved out of their sender, fees included."""
    total = 0
    for tx in txs:
        total += tx.body.fee
        for msg in tx.body.msgs:
            if msg["type"] == "bank.send":
                total += decode_amount(msg["amount"])
            else:
                outputs = msg["outputs"]
                assert isinstance(outputs, list)
                total += sum(decode_amount(o["amount"]) for o in outputs if isinstance(o, dict))
    return total


def payee_addresses(ctx: FleetContext, role: str) -> set[str]:
    return {ctx.peers.address(i, "alpha") for i in ROLES[role]}


async def test_naive_workers_sign_at_the_chains_nonce_and_collide(desk: Desk) -> None:
    desk.node.auto_blocks = False  # both workers read nonce 0 before anything commits
    await asyncio.gather(desk.act(hot.payout_naive, ts=1.0), desk.act(hot.payout_naive, ts=2.0))
    assert [tx.body.nonce for tx in desk.node.submitted] == [0, 0]
    assert desk.count("n.reject", code="bad_nonce", expected="no") == 1
    desk.node.block()
    await desk.settled(1)
    (paid_out,) = desk.node.committed
    (msg,) = paid_out.body.msgs
    assert msg["to"] in payee_addresses(desk.ctx, "payer")
    # the refused payout's hold ends: the shadow ledger is what the chain committed
    await until(lambda: desk.hot.wallet.spendable(AX) == desk.hot.wallet.balance(AX))
    assert desk.hot.wallet.balance(AX) == FUNDS - paid([paid_out])
    # the next payout reads the moved nonce and gets through
    await desk.act(hot.payout_naive, ts=3.0)
    assert desk.node.submitted[-1].body.nonce == 1


async def test_the_sequencer_pipelines_consecutive_nonces_before_any_commit(desk: Desk) -> None:
    desk.node.auto_blocks = False
    sends = [desk.act(payouts.payout_sequenced, ts=float(i)) for i in range(3)]
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(send) for send in sends]
        await until(lambda: len(desk.node.pending) == 3)
        assert [tx.body.nonce for tx, _ in desk.node.pending] == [0, 1, 2]
        desk.node.block()
    assert all(t.done() for t in tasks)
    assert desk.count("n.commit") == 3
    assert desk.count("n.reject", code="bad_nonce", expected="no") == 0
    assert desk.hot.wallet.balance(AX) == FUNDS - paid(desk.node.committed)
    assert desk.hot.next_nonce("alpha") == 3


async def test_a_chain_taking_only_the_next_nonce_refuses_the_pipeline(desk: Desk) -> None:
    desk.node.pipelining = False
    desk.node.auto_blocks = False
    sends = [desk.act(payouts.payout_sequenced, ts=float(i)) for i in range(3)]
    async with asyncio.TaskGroup() as tg:
        for send in sends:
            tg.create_task(send)
        await until(lambda: len(desk.node.submitted) == 3)
        desk.node.block()
    assert desk.count("n.commit") == 1
    assert desk.count("n.reject", code="bad_nonce", expected="no") == 2
    assert desk.hot.wallet.balance(AX) == FUNDS - paid(desk.node.committed)


async def test_a_batch_pays_twenty_users_in_one_multisend_at_the_fee_its_size_needs(
    desk: Desk,
) -> None:
    await desk.act(payouts.payout_batch)
    (tx,) = desk.node.committed
    (msg,) = tx.body.msgs
    assert msg["type"] == "bank.multisend"
    outputs = msg["outputs"]
    assert isinstance(outputs, list) and len(outputs) == payouts.BATCH_PAYOUTS
    assert {o["to"] for o in outputs if isinstance(o, dict)} <= payee_addresses(desk.ctx, "payer")
    wire_size = len(canonical_json(tx.to_wire()))
    assert tx.body.fee >= 500 + wire_size  # the least fee for its size, which FEE is not
    assert tx.body.fee > FEE
    assert desk.count("n.commit") == 1
    assert desk.hot.wallet.balance(AX) == FUNDS - paid([tx])


async def test_payers_pay_the_one_merchant(desk: Desk) -> None:
    payer = Bot(SEED, 5, "payer")
    payer.wallet.credit(AX, FUNDS)
    for ts in (1.0, 2.0):
        await desk.act(transfers.pay_merchant, bot=payer, ts=ts)
    merchant = desk.ctx.peers.address(ROLES["merchant"].start, "alpha")
    assert [m["to"] for tx in desk.node.committed for m in tx.body.msgs] == [merchant] * 2
    assert payer.wallet.balance(AX) == FUNDS - paid(desk.node.committed)


async def test_paying_a_merchant_needs_a_merchant_role(desk: Desk) -> None:
    desk.ctx.role_bots = {"payer": ROLES["payer"]}
    with pytest.raises(ValueError, match="'merchant'"):
        await desk.act(transfers.pay_merchant)
    assert desk.node.submitted == []
