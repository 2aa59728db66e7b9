"""Failover between nodes with the same signed bytes, and how a tx no node knows of any more is
judged and sent again (SCENARIOS.md L10), against scripted nodes."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.errors import BadNonce, Unreachable
from botruntime.chain.testing import Handler, MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.chain.tx import SignedTx, bank_send, decode_tx
from botruntime.fleet import FleetContext, Intent, Peers
from botruntime.fleet import _failover as failover
from botruntime.fleet._commits import CommitWatcher, Landed
from botruntime.fleet._context import ChainSide
from botruntime.fleet._failover import NodeLiveness, broadcast_failover, probe_everywhere
from botruntime.fleet._reads import ReadMemory
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

PAYER = Bot("seed", 0, "general_user")  # home node: 0


def dead(request: Request) -> Answer:
    raise Unreachable("connection refused")


def accepting(request: Request) -> Answer:
    if request.method == "POST":
        tx = orjson.loads(request.body or b"")["tx"]
        return answer({"hash": _hash(tx), "code": "ok", "status": "pending"})
    if request.path.startswith("/txs/"):
        return answer({"hash": request.path[5:], "status": "unknown"})
    return answer({"chain_id": "alpha-simnet-1", "height": 3, "time": "t", "catching_up": False})


def _hash(tx: object) -> str:
    return decode_tx(tx).hash


def side(*handlers: Handler) -> tuple[ChainSide, list[MockTransport], FleetContext]:
    transports = [
        MockTransport(h, TransportConfig(f"http://node{i}")) for i, h in enumerate(handlers)
    ]
    clients = [HttpAlphaClient(transport=t, chain_id="alpha-simnet-1") for t in transports]
    chain = ChainSide("alpha", clients, CommitWatcher(clients[0]), fee=1_000, native=AX)
    ctx = FleetContext("run-1", Recorder(), {"alpha": chain}, Peers("seed", 10))
    return chain, transports, ctx


def signed(chain: ChainSide) -> SignedTx:
    client = chain.clients[0]
    return client.sign(
        PAYER.identity, [bank_send(PAYER.alpha_address, 1, "AX")], nonce=0, fee=1_000
    )


async def test_a_node_that_does_not_answer_is_left_for_the_next_with_the_same_bytes() -> None:
    chain, transports, _ = side(dead, accepting, accepting)
    tx = signed(chain)
    moved: list[int] = []
    node, result = await broadcast_failover(
        chain, PAYER, tx, NodeLiveness(), first=0, on_failover=moved.append
    )
    assert (node, result.hash, moved) == (1, tx.hash, [0])
    assert len(transports[0].requests) == 1  # a dead node is not retried
    assert transports[0].requests[0].body == transports[1].requests[0].body
    assert transports[2].requests == []


async def test_duplicate_after_an_unanswered_node_is_an_answer_and_a_reject_is_raised() -> None:
    chain, _, _ = side(dead, lambda r: error_answer(409, "duplicate_tx"))
    tx = signed(chain)
    node, result = await broadcast_failover(chain, PAYER, tx, NodeLiveness(), first=0)
    assert (node, result.code) == (1, "duplicate_tx")
    refusing, _, _ = side(lambda r: error_answer(400, "bad_nonce", {"expected": 4}), accepting)
    with pytest.raises(BadNonce):
        await broadcast_failover(refusing, PAYER, signed(refusing), NodeLiveness(), first=0)


async def test_every_node_down_raises_the_last_no_answer() -> None:
    chain, _, _ = side(dead, dead)
    with pytest.raises(Unreachable):
        await broadcast_failover(chain, PAYER, signed(chain), NodeLiveness(), first=1)


async def test_a_lookup_says_known_unknown_or_no_answer() -> None:
    def knows(request: Request) -> Answer:
        return answer({"hash": "T", "status": "pending"})

    liveness = NodeLiveness()
    for handlers, found in (
        ((dead, accepting), "unknown"),
        ((accepting, knows), "known"),
        ((dead, dead), "no_answer"),
    ):
        chain, _, _ = side(*handlers)
        assert await probe_everywhere(chain, PAYER, "T", liveness) == found


def test_a_node_passed_a_tx_on_only_if_seen_live_soon_after_accepting_it() -> None:
    liveness = NodeLiveness()
    liveness.answered("alpha", 0, sent_ts=10.5, done_ts=10.51)  # live 0.5 s after 10.0
    liveness.answered("alpha", 1, sent_ts=10.5, done_ts=12.0)  # held by a pause: no proof
    liveness.answered("alpha", 2, sent_ts=20.0, done_ts=20.01)  # back after a restart
    assert liveness.spread("alpha", 0, accepted_ts=10.0)
    assert not liveness.spread("alpha", 0, accepted_ts=10.4)  # inside the gossip margin
    assert not liveness.spread("alpha", 1, accepted_ts=10.0)
    assert not liveness.spread("alpha", 2, accepted_ts=10.0)


async def test_a_tx_no_node_knows_is_counted_lost_and_sent_again_as_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(failover, "SPREAD_S", 0.0)
    forgetful_posts: list[bytes] = []

    def forgetful(request: Request) -> Answer:  # takes the tx, then forgets it
        if request.method == "POST":
            forgetful_posts.append(request.body or b"")
        return accepting(request)

    resent = asyncio.Event()

    def taking(request: Request) -> Answer:
        if request.method == "POST":
            resent.set()
        return accepting(request)

    chain, transports, ctx = side(forgetful, taking)
    ctx.commit_timeout_s = 5.0
    monkeypatch.setattr("botruntime.fleet._intent.PROBE_AFTER_S", 0.05)
    PAYER.wallet.credit(AX, 10**9)
    intent = Intent(ctx, "send_ax_failover", "alpha", time.perf_counter())

    async def land_when_resent() -> None:
        await resent.wait()
        body = transports[1].requests[-1].body or b""
        future = chain.watcher.expect(_hash(orjson.loads(body)["tx"]))
        future.set_result(Landed(height=4, seen_ts=time.perf_counter()))

    async with asyncio.timeout(5), asyncio.TaskGroup() as tg:
        tg.create_task(land_when_resent())
        landed = await intent.transact(
            PAYER, [bank_send(PAYER.alpha_address, 5, "AX")], spend=AX, amount=5, failover=True
        )
    assert landed is not None and landed.height == 4
    posted = [r.body for r in transports[1].requests if r.method == "POST"]
    assert posted == forgetful_posts  # the same signed bytes, once each
    recorder = ctx.recorder
    lost = recorder.counter("chain.silent_loss", action="send_ax_failover", node="v1")
    assert lost.value == 1 and lost.examples
    assert recorder.counter("chain.resubmitted", action="send_ax_failover").value == 1
    assert PAYER.accepted("alpha") == 1  # one nonce, one promise


async def test_the_commit_watcher_reads_the_next_node_while_one_is_down() -> None:
    block = {"height": 1, "time": "t", "hash": "H", "prev_hash": "", "txs": ["T"]}
    listed = {"height": 1, "txs": [{"hash": "T", "index": 0, "tx": {"body": {}}, "code": "ok"}]}
    seen = asyncio.Event()

    def up(request: Request) -> Answer:
        return answer(block if request.path == "/blocks/latest" else listed)

    clients = [
        HttpAlphaClient(transport=MockTransport(h), chain_id="alpha-simnet-1") for h in (dead, up)
    ]
    watcher = CommitWatcher(
        clients[0], fallbacks=clients[1:], poll_s=0.01, on_tx=lambda *_: seen.set()
    )
    watcher.height = watcher.start_height = 0
    async with asyncio.timeout(5), asyncio.TaskGroup() as tg:
        task = tg.create_task(watcher.run())
        await seen.wait()
        task.cancel()
    assert watcher.read_errors >= 1 and watcher.height == 1


def test_a_node_behind_is_reported_once_per_episode_after_the_limit() -> None:
    reads = ReadMemory()
    assert reads.overdue("alpha", 1, True, 100.0, 15.0) is None
    assert reads.overdue("alpha", 1, True, 110.0, 15.0) is None
    assert reads.overdue("alpha", 1, True, 116.0, 15.0) == 16.0
    assert reads.overdue("alpha", 1, True, 130.0, 15.0) is None  # said once
    assert reads.overdue("alpha", 1, False, 131.0, 15.0) is None  # caught up: a new episode
    assert reads.overdue("alpha", 1, True, 132.0, 15.0) is None
