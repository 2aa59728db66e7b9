"""Parallel submitters and the future-queue auditor (R3 nonce_gap) against a scripted node:
which nonces they sign, how they recover, what they count, and that their shadow ledgers
follow only what lands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from random import Random
from typing import Any

import pytest
from fake_alpha_node import FakeAlpha, Stage, funded_bot, refuse, stage

from botruntime.behaviors.antipattern.nonce_gap import (
    Account,
    audit_future_queue,
    parallel_send_disciplined,
    parallel_send_naive,
)
from botruntime.chain.testing import Request, answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import tx_hash
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FUNDS = 10**12


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the commit watcher's futures are asyncio's


class _Coin(Random):
    """An rng whose coins come from a list: below 0.05 underprices."""

    def __init__(self, *coins: float) -> None:
        super().__init__(1)
        self._coins = list(coins)

    def random(self) -> float:
        return self._coins.pop(0) if self._coins else 0.9


def _queued_after_gap(node: FakeAlpha) -> Callable[[dict[str, Any]], Answer | None]:
    """Underpriced txs refused; any tx above a nonce no node holds answered queued_future."""

    def admit(tx: dict[str, Any]) -> Answer | None:
        body = tx["body"]
        if int(body["fee"]) < 500:
            return refuse("insufficient_fee")
        held = {t["body"]["nonce"] for t in node.accepted}
        node.accepted.append(tx)
        gap = any(n not in held for n in range(body["nonce"]))
        status = "queued_future" if gap else "pending"
        return answer({"hash": tx_hash(tx), "code": "ok", "status": status})

    return admit


async def _until(check: Callable[[], bool], what: str, within_s: float = 5.0) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def _block(st: Stage, height: int, txs: list[dict[str, Any]]) -> None:
    """Block `height` of `txs`, read by the commit watcher, which now stands at it."""
    await st.land(height, txs)
    st.side.watcher.height = height
    for _ in range(3):
        await asyncio.sleep(0)


def test_workers_go_round_robin_over_every_node() -> None:
    account = Account()
    assert sorted(account.next_node(4) for _ in range(8)) == [0, 0, 1, 1, 2, 2, 3, 3]


async def test_a_naive_worker_never_resends_an_underpriced_nonce() -> None:
    node = FakeAlpha()
    node.admit = _queued_after_gap(node)
    st = stage(node)
    bot = funded_bot(role="parallel_submitter", ax=FUNDS)
    rng = _Coin(0.01, 0.9, 0.9)
    for _ in range(3):
        await parallel_send_naive(bot, st.chains(bot), rng, st.intent("parallel_send_naive"))
    assert [tx["body"]["nonce"] for tx in node.accepted] == [1, 2]  # nonce 0 stays a gap
    assert bot.next_nonce("alpha") == 3
    assert st.count("chain.nonce_gaps", action="parallel_send_naive", event="opened") == 1
    await asyncio.sleep(0)  # the refused tx's landing is cancelled: its hold ends
    assert bot.wallet.reserved(AX) == 2 * (AX.unit + st.side.fee)  # the refused one freed


async def test_a_naive_worker_restarts_at_the_committed_nonce_on_bad_nonce() -> None:
    node = FakeAlpha()
    node.admit = lambda tx: refuse("bad_nonce", expected=7)
    base = node.handle

    def handle(request: Request) -> Answer:
        if request.path.startswith("/accounts/"):
            address = request.path.rsplit("/", 1)[1]
            return answer({"address": address, "nonce": 3, "pubkey": None, "balances": {}})
        return base(request)

    node.handle = handle  # type: ignore[method-assign]
    st = stage(node)
    bot = funded_bot(role="parallel_submitter", ax=FUNDS)
    bot.resync_nonce("alpha", 12)
    await parallel_send_naive(bot, st.chains(bot), _Coin(), st.intent("parallel_send_naive"))
    # not the node's expected 7: the naive client reads the account and ignores its pending
    assert bot.next_nonce("alpha") == 3


async def test_a_disciplined_worker_resends_an_underpriced_intent_at_a_fresh_nonce() -> None:
    node = FakeAlpha()
    node.admit = _queued_after_gap(node)
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    rec = st.intent("parallel_send_disciplined")
    task = asyncio.create_task(parallel_send_disciplined(bot, st.chains(bot), _Coin(0.01), rec))
    await _until(lambda: len(node.accepted) == 1, "the resent tx")
    (tx,) = node.accepted
    assert tx["body"]["nonce"] == 1 and int(tx["body"]["fee"]) == st.side.fee
    assert isinstance(bot.state, Account) and bot.state.burnt == {0}
    opened = st.count("chain.nonce_gaps", action="parallel_send_disciplined", event="opened")
    assert opened == 1
    await _block(st, 1, [tx])
    await asyncio.wait_for(task, 5)
    assert st.count("n.commit", action="parallel_send_disciplined") == 1
    assert bot.accepted("alpha") == 1


async def test_a_disciplined_worker_fills_the_gap_it_waits_behind_and_sees_the_promotion() -> None:
    node = FakeAlpha()
    node.admit = _queued_after_gap(node)
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    rec = st.intent("parallel_send_disciplined")
    task = asyncio.create_task(parallel_send_disciplined(bot, st.chains(bot), _Coin(0.01), rec))
    await _until(lambda: len(node.accepted) == 1, "the resent tx, queued behind the gap")
    await _block(st, 1, [])  # a block passes with the tx still queued: fill the gap
    await _until(lambda: len(node.accepted) == 2, "the gap filler")
    queued, filler = node.accepted
    assert filler["body"]["nonce"] == 0 and int(filler["body"]["fee"]) == st.side.fee
    (msg,) = filler["body"]["msgs"]
    assert msg["to"] == bot.alpha_address  # a no-op self-transfer
    await _block(st, 2, [filler])
    await _block(st, 3, [queued])
    await asyncio.wait_for(task, 5)
    filled = st.count("chain.nonce_gaps", action="fill_nonce_gap", event="filled")
    assert filled == 1
    promoted = st.recorder.histogram("mempool.promotion_blocks", action="parallel_send_disciplined")
    assert promoted.hdr.get_total_count() == 1
    assert promoted.hdr.get_max_value() // 1_000_000 == 1  # one block after the filler
    assert st.count("mempool.promotion_missed", action="parallel_send_disciplined") == 0
    assert bot.accepted("alpha") == 2 and bot.wallet.reserved(AX) == 0


async def test_a_queued_tx_still_out_3_blocks_after_its_gap_filled_is_a_missed_promotion() -> None:
    node = FakeAlpha()
    node.admit = _queued_after_gap(node)
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    rec = st.intent("parallel_send_disciplined")
    task = asyncio.create_task(parallel_send_disciplined(bot, st.chains(bot), _Coin(0.01), rec))
    await _until(lambda: len(node.accepted) == 1, "the queued tx")
    await _block(st, 1, [])
    await _until(lambda: len(node.accepted) == 2, "the gap filler")
    queued, filler = node.accepted
    await _block(st, 2, [filler])
    for height in (3, 4, 5):
        await _block(st, height, [])
    missed = ("mempool.promotion_missed", "parallel_send_disciplined")
    await _until(lambda: st.count(missed[0], action=missed[1]) == 1, "the missed promotion")
    for height in range(6, 13):  # nothing lands: stuck after 10 blocks
        await _block(st, height, [])
    await asyncio.wait_for(task, 5)
    assert st.count("chain.stuck_intents", action="parallel_send_disciplined") == 1
    assert st.count("mempool.promotion_missed", action="parallel_send_disciplined") == 1
    assert bot.accepted("alpha") == 1  # the filler only; the stuck tx is still held
    assert bot.wallet.reserved(AX) == AX.unit + int(queued["body"]["fee"])


def _auditing(
    node: FakeAlpha, heights: list[int], pending: list[list[dict[str, Any]]], status: dict[str, Any]
) -> None:
    """The node's reads for the auditor: one height and one mempool per audit, in turn."""
    base = node.handle
    audit = {"n": -1}

    def handle(request: Request) -> Answer:
        path = request.path.split("?")[0]
        if path == "/status":
            audit["n"] += 1
            height = heights[audit["n"]]
            head = {"chain_id": "alpha-simnet-1", "height": height, "catching_up": False}
            return answer({**head, "time": "2026-01-01T00:00:00Z"})
        if path == "/mempool/stats":
            return answer({"future_window": 2, "ttl_blocks": 3, "txs": 0})
        if path == "/mempool":
            return answer({"view": "redacted", "txs": pending[audit["n"]]})
        if path.startswith("/txs/"):
            return answer({"hash": path.rsplit("/", 1)[1], **status})
        return base(request)

    node.handle = handle  # type: ignore[method-assign]


def _queued(hash_: str, sender: str = "ax1a", nonce: int = 5) -> dict[str, Any]:
    return {"hash": hash_, "sender": sender, "nonce": nonce, "status": "queued_future"}


async def _audit(st: Stage, times: int) -> None:
    bot = funded_bot(role="gap_auditor")
    for _ in range(times):
        await audit_future_queue(bot, st.chains(bot), Random(1), st.intent("audit_future_queue"))


async def test_the_auditor_counts_a_sender_queueing_past_the_window() -> None:
    node = FakeAlpha()
    three = [_queued(f"{i:064X}", nonce=5 + i) for i in range(3)]
    _auditing(node, [10], [[*three, _queued("F" * 64, sender="ax1b")]], {})
    st = stage(node)
    await _audit(st, 1)
    assert st.count("mempool.future_over_window", action="audit_future_queue", node="v1") == 1
    depth = st.recorder.histogram("mempool.future_depth", action="audit_future_queue")
    assert depth.hdr.get_total_count() == 2  # one sample per sender
    assert depth.hdr.get_max_value() // 1_000_000 == 3


async def test_the_auditor_counts_a_tx_queued_past_the_ttl() -> None:
    node = FakeAlpha()
    tx = _queued("A" * 64)
    _auditing(node, [10, 14, 15], [[tx], [tx], [tx]], {})
    st = stage(node)
    await _audit(st, 3)
    # first seen at 10, TTL 3: still queued at 14 is within the one block of slack, at 15 not
    assert st.count("mempool.future_past_ttl", action="audit_future_queue", node="v1") == 1


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ({"status": "failed", "code": "deadline_exceeded"}, "deadline_exceeded"),
        ({"status": "unknown"}, "none"),
        ({"status": "committed", "height": 12}, None),
    ],
)
async def test_the_auditor_asks_why_a_queued_tx_left_without_a_block(
    status: dict[str, Any], reason: str | None
) -> None:
    node = FakeAlpha()
    _auditing(node, [10, 11], [[_queued("A" * 64)], []], status)
    st = stage(node)
    await _audit(st, 2)
    counted = {
        key.label_dict().get("reason"): c.value
        for key, c in st.recorder._counters.items()
        if key.name == "mempool.future_evicted"
    }
    assert counted == ({} if reason is None else {reason: 1})


async def test_an_unread_node_judges_nothing_gone() -> None:
    node = FakeAlpha()
    tx = _queued("A" * 64)
    _auditing(node, [10, 11], [[tx], []], {"status": "unknown"})
    base = node.handle
    calls = {"n": 0}

    def failing_second_mempool(request: Request) -> Answer:
        if request.path.split("?")[0] == "/mempool":
            calls["n"] += 1
            if calls["n"] >= 2:  # retries included
                return refuse("unavailable", 503)
        return base(request)

    node.handle = failing_second_mempool  # type: ignore[method-assign]
    st = stage(node)
    await _audit(st, 2)
    assert not any(k.name == "mempool.future_evicted" for k in st.recorder._counters)


async def test_fire_at_signs_the_nonce_given_and_never_hands_one_back() -> None:
    node = FakeAlpha()
    node.admit = lambda tx: refuse("insufficient_fee") if int(tx["body"]["fee"]) < 500 else None
    st = stage(node)
    bot = funded_bot(ax=FUNDS)
    bot.resync_nonce("alpha", 5)
    rec = st.intent("parallel_send_naive")
    pay = [{"type": "bank.send", "to": bot.alpha_address, "denom": "AX", "amount": "1000000"}]
    answer, landing = await rec.fire_at(bot, pay, nonce=2, spend=AX, amount=AX.unit)
    assert answer is not None and landing is not None
    assert bot.next_nonce("alpha") == 5  # a lower nonce does not move the counter back
    (tx,) = node.accepted
    assert tx["body"]["nonce"] == 2
    refused, none = await rec.fire_at(bot, pay, nonce=9, spend=AX, amount=AX.unit, fee=1)
    assert refused is not None and none is None
    assert bot.next_nonce("alpha") == 10  # refused: nonce 9 is not handed back
    await _block(st, 1, [tx])
    assert (await asyncio.wait_for(asyncio.shield(landing), 1)).height == 1
    assert bot.accepted("alpha") == 1 and bot.wallet.reserved(AX) == 0
