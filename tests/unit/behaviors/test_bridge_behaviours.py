"""The bridge users' behaviours and the replayer's bridge-claim variant (e), each against a
scripted pair of nodes (`MockTransport`): the message each signs, what its shadow ledger holds
once the tx landed, and what it counts. Each tx the fake node accepts lands in the next
block, which the real `CommitWatcher` reads."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from random import Random
from typing import Any

import orjson
import pytest

from botruntime.behaviors import BEHAVIORS
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import decode_tx
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers, RecentTxs
from botruntime.fleet._bridge import BridgeBook
from botruntime.fleet._commits import CommitWatcher, Events, TxObserver
from botruntime.metrics import Recorder
from botruntime.wallet import AX, BAX, DX

pytestmark = pytest.mark.anyio

SEED = "bridge-tests"
FEE = 3_000
CHAIN_IDS: dict[ChainName, str] = {"alpha": "alpha-simnet-1", "delta": "delta-simnet-1"}


@dataclass
class FakeChain:
    """One chain's node: accepts txs (or rejects a message type with a code), puts each in
    its own block, and serves the bridge reads it is given."""

    name: ChainName
    blocks: list[list[dict[str, Any]]] = field(default_factory=lambda: [[]])
    reject: dict[str, str] = field(default_factory=dict)  # msg type -> code at admission
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sender -> transfers

    @property
    def msgs(self) -> list[dict[str, Any]]:
        return [e["tx"]["body"]["msgs"][0] for block in self.blocks for e in block]

    def handle(self, request: Request) -> Answer:
        path = request.path
        if request.method == "POST" and path == "/txs":
            assert request.body is not None
            wire = orjson.loads(request.body)["tx"]
            tx = decode_tx(wire)
            code = self.reject.get(str(tx.body.msgs[0]["type"]))
            if code is not None:
                return error_answer(400, code)
            self.blocks.append([{"hash": tx.hash, "index": 0, "tx": wire, "code": "ok"}])
            return answer({"hash": tx.hash, "code": "ok", "status": "pending"})
        if path == "/status":
            return answer(
                {
                    "chain_id": CHAIN_IDS[self.name],
                    "height": len(self.blocks) - 1,
                    "time": "0",
                    "catching_up": False,
                }
            )
        if path == "/blocks/latest":
            height = len(self.blocks) - 1
            return answer({"height": height, "time": "0", "hash": "H", "prev_hash": "P", "txs": []})
        if path.startswith("/blocks/") and path.endswith("/txs"):
            height = int(path.split("/")[2])
            return answer({"height": height, "txs": self.blocks[height]})
        if path.startswith("/bridge/senders/"):
            return answer({"transfers": self.sent.get(path.split("/")[3], [])})
        if path == "/bridge/params":
            return answer({"relay_delay_blocks": 2, "timeout_blocks": 50})
        if path.endswith("/balances"):
            return answer({"balances": {}})
        raise AssertionError(f"the fake node does not serve {request.method} {path}")


@dataclass
class Net:
    ctx: FleetContext
    alpha: FakeChain
    delta: FakeChain
    watchers: list[CommitWatcher]

    def chains(self, bot: Bot) -> Chains:
        for chain in ("alpha", "delta"):
            self.ctx.owners[bot.address(chain)] = bot
        return Chains(self.ctx, bot)

    def intent(self, action: str, chain: ChainName = "alpha") -> Intent:
        return Intent(self.ctx, action, chain, 0.0)

    def count(self, name: str, **labels: str) -> int:
        return self.ctx.recorder.counter(name, **labels).value


@pytest.fixture
async def net() -> AsyncIterator[Net]:
    fakes = {"alpha": FakeChain("alpha"), "delta": FakeChain("delta")}
    recorder = Recorder()
    owners: dict[str, Bot] = {}
    book = BridgeBook(recorder, owners)
    recent = RecentTxs()
    sides: dict[ChainName, ChainSide] = {}
    for name, cls in (("alpha", HttpAlphaClient), ("delta", HttpDeltaClient)):
        client = cls(transport=MockTransport(fakes[name].handle), chain_id=CHAIN_IDS[name])
        on_tx = _receipts(name, book, recent)
        watcher = CommitWatcher(client, poll_s=0.005, on_tx=on_tx)
        native = AX if name == "alpha" else DX
        sides[name] = ChainSide(name, [client], watcher, fee=FEE, native=native)
        await watcher.start()
    ctx = FleetContext(
        run_id="run-1",
        recorder=recorder,
        sides=sides,
        peers=Peers(SEED, 4),
        commit_timeout_s=5,
        owners=owners,
        recent=recent,
    )
    ctx.bridge = book
    # owned here, cancelled and awaited at teardown (no task group across a yield)
    tasks = [asyncio.create_task(s.watcher.run(), name=f"watch-{n}") for n, s in sides.items()]
    try:
        yield Net(ctx, fakes["alpha"], fakes["delta"], [s.watcher for s in sides.values()])
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _receipts(chain: ChainName, book: BridgeBook, recent: RecentTxs) -> TxObserver:
    """What the fleet's receipts do with a committed claim (end to end: the scenario runs)."""

    def on_tx(tx_hash: str, wire: dict[str, Any], code: str, height: int, events: Events) -> None:
        recent.note_committed(chain, tx_hash, wire)
        msg = wire["body"]["msgs"][0]
        if code == "ok" and msg["type"] == "bridge.claim":
            book.claimed(chain, msg)

    return on_tx


def funded(index: int = 0, *, bax: int = 0) -> Bot:
    bot = Bot(SEED, index, "bridge_user")
    bot.wallet.credit(AX, 10_000 * AX.unit)
    bot.wallet.credit(DX, 10_000 * DX.unit)
    if bax:
        bot.wallet.credit(BAX, bax)
    return bot


def transfer(
    tid: str, bot: Bot, *, status: str = "pending", withhold: bool = False, **over: Any
) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "id": tid,
        "direction": "a2d",
        "sender": bot.alpha_address,
        "recipient": bot.delta_address,
        "amount": "7000000",
        "source_height": 1,
        "timeout_height": 51,
        "withhold": withhold,
        "status": status,
        "mints": 0,
        "refunds": 1 if status == "refunded" else 0,
        "claim_height": 0,
        "refund_height": 0,
        "source_chain": CHAIN_IDS["alpha"],
        "destination_chain": CHAIN_IDS["delta"],
        "attestation": "0:c2ln,1:c2ln",
    }
    wire.update(over)
    return wire


async def act(net: Net, name: str, bot: Bot, seed: int = 1) -> Intent:
    behaviour = BEHAVIORS[name]
    rec = net.intent(name, behaviour.chain)
    await behaviour.fn(bot, net.chains(bot), Random(seed), rec)
    return rec


async def test_a_lock_pays_the_bots_own_delta_address_and_is_spent_once_landed(net: Net) -> None:
    bot = funded()
    await act(net, "bridge_lock", bot)
    (msg,) = net.alpha.msgs
    amount = int(msg["amount"])
    assert msg["type"] == "bridge.lock" and msg["to"] == bot.delta_address
    assert 1 * AX.unit <= amount <= 50 * AX.unit
    assert bot.wallet.balance(AX) == 10_000 * AX.unit - amount - FEE
    assert bot.wallet.reserved(AX) == 0 and bot.accepted("alpha") == 1
    assert net.ctx.bridge.used


async def test_one_lock_in_twenty_is_withheld_and_the_withheld_lock_always_is(net: Net) -> None:
    bot = funded()
    for seed in range(60):
        await act(net, "bridge_lock", bot, seed)
    withheld = sum(1 for m in net.alpha.msgs if m["withhold"])
    assert 0 < withheld < 10  # about 3 of 60
    await act(net, "bridge_lock_withheld", bot)
    assert net.alpha.msgs[-1]["withhold"] is True


async def test_a_burn_needs_bax_and_sends_it_back_to_the_bots_alpha_address(net: Net) -> None:
    bot = funded()
    await act(net, "bridge_burn", bot)
    assert net.delta.msgs == []  # no bAX yet: it reads its balances instead
    bot.wallet.credit(BAX, 20 * BAX.unit)
    await act(net, "bridge_burn", bot)
    (msg,) = net.delta.msgs
    amount = int(msg["amount"])
    assert msg["type"] == "bridge.burn" and msg["to"] == bot.alpha_address
    assert 0 < amount <= 2 * BAX.unit  # a tenth of what is spendable
    assert bot.wallet.balance(BAX) == 20 * BAX.unit - amount
    assert bot.wallet.balance(DX) == 10_000 * DX.unit - FEE


async def test_a_claim_on_delta_credits_its_recipient_once_per_transfer_id(net: Net) -> None:
    bot = funded()
    net.chains(bot)
    relayer = funded(3)
    claim = {
        "type": "bridge.claim",
        "transfer_id": "ax-9",
        "recipient": bot.delta_address,
        "amount": "7000000",
        "attestation": "0:c2ln,1:c2ln",
    }
    client = net.ctx.sides["delta"].clients[0]
    for nonce in (0, 1):  # a relayer's retry: the chain took the same claim twice
        await client.submit(relayer.identity, [claim], nonce=nonce, fee=FEE)
    await _until(lambda: net.count("chain.bridge_claims", chain="delta", credit="again") == 1)
    assert net.count("chain.bridge_claims", chain="delta", credit="first") == 1
    assert bot.wallet.balance(BAX) == 7_000_000  # credited once: the second mint is a finding


async def test_reading_transfers_credits_refunds_once_and_counts_overdue_ones(net: Net) -> None:
    bot = funded()
    net.alpha.sent[bot.alpha_address] = [
        transfer("ax-1", bot, status="refunded", withhold=True),
        transfer("ax-2", bot, source_height=0),  # relayed, still pending
    ]
    net.delta.sent[bot.delta_address] = []
    net.alpha.blocks.extend([] for _ in range(8))  # alpha well past ax-2's due height (6)
    await _until(lambda: net.watchers[0].height >= 8)
    for seed in range(6):  # both chains get read
        await act(net, "bridge_read", bot, seed)
    assert bot.wallet.balance(AX) == 10_000 * AX.unit + 7_000_000  # the refund, once
    assert net.count("chain.bridge_overdue", action="bridge_read", direction="a2d") >= 1
    assert net.count("chain.bridge_refunds", chain="alpha") >= 1


async def test_a_user_claims_only_its_own_withheld_attested_transfer(net: Net) -> None:
    bot = funded()
    net.alpha.sent[bot.alpha_address] = [
        transfer("ax-1", bot),  # relayed: the relayer's to claim
        transfer("ax-2", bot, withhold=True, attestation=None),  # not attested yet
    ]
    await act(net, "bridge_claim", bot)
    assert net.delta.msgs == []
    net.alpha.sent[bot.alpha_address].append(transfer("ax-3", bot, withhold=True))
    await act(net, "bridge_claim", bot)
    (msg,) = net.delta.msgs
    assert (msg["type"], msg["transfer_id"], msg["recipient"]) == (
        "bridge.claim",
        "ax-3",
        bot.delta_address,
    )
    await _until(lambda: bot.wallet.balance(BAX) == 7_000_000)  # its own claim credited it
    assert bot.wallet.balance(DX) == 10_000 * DX.unit - FEE


async def _claim_committed(net: Net, victim: Bot) -> None:
    relayer = funded(3)
    claim = {
        "type": "bridge.claim",
        "transfer_id": "ax-5",
        "recipient": victim.delta_address,
        "amount": "7000000",
        "attestation": "0:c2ln,1:c2ln",
    }
    await net.ctx.sides["delta"].clients[0].submit(relayer.identity, [claim], nonce=0, fee=FEE)
    await _until(lambda: any(True for _ in net.ctx.recent.committed("delta")))


async def test_a_replayed_claim_rejected_already_claimed_is_the_defence_working(
    net: Net,
) -> None:
    victim, replayer = funded(0), funded(1)
    net.chains(victim)
    await _claim_committed(net, victim)
    net.delta.reject["bridge.claim"] = "already_claimed"
    net.alpha.reject["bridge.claim"] = "not_found"
    for seed in range(6):  # same chain and the other one
        behaviour = BEHAVIORS["replay_bridge_claim"]
        expected = frozenset({"already_claimed", "not_found"})
        rec = Intent(net.ctx, behaviour.name, "delta", 0.0, expected_codes=expected)
        await behaviour.fn(replayer, net.chains(replayer), Random(seed), rec)
    rejects = {
        code: net.count("n.reject", action="replay_bridge_claim", code=code, expected="yes")
        for code in ("already_claimed", "not_found")
    }
    assert rejects["already_claimed"] > 0 and rejects["not_found"] > 0
    assert sum(rejects.values()) == 6
    assert net.count("adv.replays_unexpected", action="replay_bridge_claim", code="accepted") == 0
    assert replayer.wallet.balance(DX) == 10_000 * DX.unit  # nothing spent
    assert net.delta.msgs[-1]["transfer_id"] == "ax-5" and len(net.delta.msgs) == 1


async def test_a_replayed_claim_the_chain_takes_is_counted_and_its_fee_kept(net: Net) -> None:
    victim, replayer = funded(0), funded(1)
    net.chains(victim)
    await _claim_committed(net, victim)
    behaviour = BEHAVIORS["replay_bridge_claim"]
    seed = next(s for s in range(50) if _same_chain(Random(s)))
    rec = Intent(net.ctx, behaviour.name, "delta", 0.0, expected_codes=frozenset())
    await behaviour.fn(replayer, net.chains(replayer), Random(seed), rec)
    assert rec.chain == "delta"
    assert net.count("adv.replays_unexpected", action="replay_bridge_claim", code="accepted") == 1
    assert replayer.wallet.balance(DX) == 10_000 * DX.unit - FEE
    assert replayer.accepted("delta") == 1
    # the same claim again, signed by the replayer: a second mint the victim never credits
    await _until(lambda: net.count("chain.bridge_claims", chain="delta", credit="again") == 1)
    assert victim.wallet.balance(BAX) == 7_000_000


def _same_chain(rng: Random) -> bool:
    """The replayer's draws for seed `rng`: which chain first, then same (1, 2) or other (0)."""
    rng.shuffle(["alpha", "delta"])
    rng.choice([0])  # the one claim harvested
    return rng.randrange(3) != 0


async def _until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Wait for what the watchers do in the background (they poll every 5 ms)."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110  (a condition on polled state, not an event)
            await asyncio.sleep(0.005)
