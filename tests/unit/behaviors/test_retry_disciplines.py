"""Naive, herd and disciplined payments (R1 retry_storm_herd) against a scripted node: what each
sends when the node does not take the tx at once, what it counts, and that its shadow ledger
follows only what lands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from random import Random
from typing import Any

import pytest
from fake_alpha_node import FakeAlpha, Stage, funded_bot, stage

from botruntime.behaviors.antipattern.retries import (
    DISCIPLINED,
    RESIGN_AFTER,
    RetryBudget,
    answer_of,
    disciplined_send,
    herd_send,
    naive_send,
)
from botruntime.chain.errors import DuplicateTx, ProtocolViolation, RateLimited, Unreachable
from botruntime.chain.testing import Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FUNDS = 10**12
Script = Callable[[Request], Answer | None]  # None: the fake node takes the tx


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the commit watcher's futures are asyncio's


class Node(FakeAlpha):
    """The fake Alpha with a script for `POST /txs`, `/health` and the account's nonce."""

    def __init__(self, script: Script, health: Script | None = None, nonce: int = 0) -> None:
        super().__init__()
        self.script = script
        self.health_script = health
        self.nonce = nonce
        self.posts: list[dict[str, Any]] = []
        self.health_polls = 0

    def handle(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if request.method == "POST" and path == "/txs":
            wire = request.json()
            assert isinstance(wire, dict) and isinstance(wire["tx"], dict)
            self.posts.append(wire["tx"])
            scripted = self.script(request)
            if scripted is not None:
                return scripted
        if path == "/health":
            self.health_polls += 1
            scripted = self.health_script(request) if self.health_script else None
            return scripted or answer({"ok": True})
        if path.startswith("/accounts/"):
            return answer({"address": path.split("/")[2], "nonce": self.nonce, "balances": {}})
        return super().handle(request)


def _refused() -> Unreachable:
    try:
        raise Unreachable("POST /txs: ConnectionRefusedError") from ConnectionRefusedError()
    except Unreachable as exc:
        return exc


def _timeout() -> Answer:
    raise Unreachable("POST /txs: no answer within 1.0 s")


def _unavailable(retry_after: str | None = None) -> Answer:
    return error_answer(503, "unavailable", retry_after=retry_after)


def _fails(times: int, fail: Callable[[], Answer]) -> Script:
    """The first `times` posts fail with `fail()`; the next ones are taken."""
    seen = [0]

    def script(request: Request) -> Answer | None:
        seen[0] += 1
        return fail() if seen[0] <= times else None

    return script


async def _run_landing(st: Stage, act: Any) -> None:
    """Run the behaviour `act` while a block takes each tx the node accepted."""

    async def lander() -> None:
        height, landed = 1, 0
        while True:
            await asyncio.sleep(0.005)
            if len(st.node.accepted) > landed:
                await st.land(height, st.node.accepted[landed:])
                landed, height = len(st.node.accepted), height + 1

    task = asyncio.create_task(lander(), name="test-lander")
    try:
        async with asyncio.timeout(10):
            await act
    finally:
        task.cancel()


async def test_disciplined_resends_the_same_bytes_and_counts_each_attempt() -> None:
    node = Node(_fails(2, _unavailable))
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    rec = st.intent("disciplined_send")
    await _run_landing(st, disciplined_send(bot, st.chains(bot), Random(1), rec))
    assert len(node.posts) == 3 and len({str(tx) for tx in node.posts}) == 1
    assert st.count("n.attempt", action="disciplined_send", answer="http5xx") == 2
    assert st.count("n.attempt", action="disciplined_send", answer="ok") == 1
    assert st.count("n.commit", action="disciplined_send") == 1
    assert bot.wallet.reserved(AX) == 0 and bot.wallet.balance(AX) < FUNDS


async def test_disciplined_gives_up_after_three_answered_attempts() -> None:
    node = Node(lambda request: _unavailable())
    st = stage(node)
    st.ctx.commit_timeout_s = 0.2
    bot = funded_bot(role="disciplined", ax=FUNDS)
    await disciplined_send(bot, st.chains(bot), Random(1), st.intent("disciplined_send"))
    assert len(node.posts) == DISCIPLINED.max_attempts
    assert st.count("n.commit", action="disciplined_send") == 0
    assert bot.wallet.balance(AX) == FUNDS and bot.wallet.reserved(AX) == 0


async def test_disciplined_waits_for_retry_after() -> None:
    node = Node(_fails(1, lambda: _unavailable(retry_after="0.3")))
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _run_landing(
        st, disciplined_send(bot, st.chains(bot), Random(1), st.intent("disciplined_send"))
    )
    assert loop.time() - started >= 0.3 and len(node.posts) == 2


async def test_disciplined_waits_out_refused_connections_without_spending_attempts() -> None:
    refusals = [0]

    def script(request: Request) -> Answer | None:
        refusals[0] += 1
        if refusals[0] <= 5:
            raise _refused()
        return None

    node = Node(script)
    st = stage(node)
    bot = funded_bot(role="disciplined", ax=FUNDS)
    rec = st.intent("disciplined_send")
    await _run_landing(st, disciplined_send(bot, st.chains(bot), Random(1), rec))
    assert len(node.posts) == 6  # five refusals, then taken: more than three sends
    # refusals reached no node: not attempts
    assert st.count("n.attempt", action="disciplined_send", answer="ok") == 1
    assert st.count("n.commit", action="disciplined_send") == 1


def test_each_answer_is_labelled_for_c1() -> None:
    assert answer_of(None) == "ok"
    assert answer_of(RateLimited("busy", retry_after_s=1.0)) == "shed"
    assert answer_of(Unreachable("answered 503 unavailable", retry_after_s=1.0)) == "shed"
    assert answer_of(Unreachable("POST /txs answered 503 unavailable; retry after a while")) == (
        "http5xx"
    )
    assert answer_of(Unreachable("POST /txs: no answer within 1.0 s")) == "timeout"
    assert answer_of(ProtocolViolation("boom", status=500)) == "http5xx"
    assert answer_of(DuplicateTx("known")) == "rejected"


def test_the_retry_budget_allows_a_floor_then_a_tenth_of_the_requests() -> None:
    budget = RetryBudget(ratio=0.1, floor=3)
    assert [budget.take() for _ in range(4)] == [True, True, True, False]
    for _ in range(10):
        budget.sent()
    assert budget.take() and not budget.take()


async def test_naive_retries_at_once_and_deaf_to_retry_after() -> None:
    node = Node(_fails(2, lambda: _unavailable(retry_after="5")))
    st = stage(node)
    bot = funded_bot(role="naive_retrier", ax=FUNDS)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _run_landing(st, naive_send(bot, st.chains(bot), Random(1), st.intent("naive_send")))
    assert loop.time() - started < 2.0  # two Retry-After: 5 ignored
    assert len(node.posts) == 3 and len({str(tx) for tx in node.posts}) == 1
    assert st.count("n.attempt", action="naive_send", answer="shed") == 2
    assert st.count("n.attempt", action="naive_send", answer="ok") == 1
    assert st.count("n.commit", action="naive_send") == 1


async def test_naive_pays_twice_when_its_timed_out_tx_had_landed() -> None:
    """Three timeouts; the chain's nonce has moved past the tx (it was taken and committed):
    the naive client re-signs at the new nonce, the same intent (memo) paid twice."""
    node = Node(_fails(RESIGN_AFTER, _timeout))
    st = stage(node)
    bot = funded_bot(role="naive_retrier", ax=FUNDS)
    first: list[dict[str, Any]] = []

    def take_first(request: Request) -> Answer | None:
        # the first post was taken although its answer was lost: it lands in block 1
        if not first:
            wire = request.json()
            assert isinstance(wire, dict) and isinstance(wire["tx"], dict)
            first.append(wire["tx"])
            node.accepted.append(wire["tx"])
            node.nonce = 1
        return None

    timeouts = node.script

    def script(request: Request) -> Answer | None:
        take_first(request)
        return timeouts(request)

    node.script = script
    await _run_landing(st, naive_send(bot, st.chains(bot), Random(1), st.intent("naive_send")))
    nonces = sorted({tx["body"]["nonce"] for tx in node.accepted})
    memos = {tx["body"]["memo"] for tx in node.accepted}
    assert nonces == [0, 1] and len(memos) == 1
    assert st.count("chain.duplicate_payments", action="naive_send") == 1
    assert st.count("n.commit", action="naive_send") == 2
    assert bot.wallet.reserved(AX) == 0
    fees_and_amounts = FUNDS - bot.wallet.balance(AX)
    amounts = sum(int(tx["body"]["msgs"][0]["amount"]) for tx in node.accepted)
    fees = sum(int(tx["body"]["fee"]) for tx in node.accepted)
    assert fees_and_amounts == amounts + fees  # the ledger kept both payments


async def test_the_herd_polls_health_while_refused_then_sends_at_once() -> None:
    refusing = [True]

    def script(request: Request) -> Answer | None:
        if refusing[0]:
            raise _refused()
        return None

    def health(request: Request) -> Answer | None:
        if node.health_polls >= 4:
            refusing[0] = False
            return None
        raise _refused()

    node = Node(script, health)
    st = stage(node)
    bot = funded_bot(role="herd_client", ax=FUNDS)
    rec = st.intent("herd_send")
    await _run_landing(st, herd_send(bot, st.chains(bot), Random(1), rec))
    assert node.health_polls == 4
    assert len(node.posts) == 2  # refused once, sent again once healthy
    assert st.count("n.attempt", action="herd_send", answer="ok") == 1
    assert st.count("n.commit", action="herd_send") == 1


async def test_a_tx_the_watcher_could_not_see_land_is_not_called_lost() -> None:
    """An outage blinds the commit watcher past the commit timeout: the tx is waited for
    again, and counts as committed once the watcher reads its block."""
    taken = asyncio.Event()
    node = Node(lambda request: taken.set())
    st = stage(node)
    st.ctx.commit_timeout_s = 0.1
    bot = funded_bot(role="disciplined", ax=FUNDS)

    async def late_block() -> None:
        await taken.wait()
        await asyncio.sleep(0.25)  # no block read for 2.5 commit timeouts
        await st.land(1, node.accepted)

    task = asyncio.create_task(late_block(), name="test-late-block")
    await disciplined_send(bot, st.chains(bot), Random(1), st.intent("disciplined_send"))
    await task
    assert st.count("n.commit", action="disciplined_send") == 1
    assert st.count("n.lost", action="disciplined_send") == 0


async def test_a_tx_missing_from_blocks_the_watcher_read_is_lost() -> None:
    taken = asyncio.Event()
    node = Node(lambda request: taken.set())
    st = stage(node)
    st.ctx.commit_timeout_s = 0.2
    bot = funded_bot(role="disciplined", ax=FUNDS)

    async def empty_blocks() -> None:
        await taken.wait()
        for height in range(1, 4):
            await st.land(height, [])

    task = asyncio.create_task(empty_blocks(), name="test-empty-blocks")
    await disciplined_send(bot, st.chains(bot), Random(1), st.intent("disciplined_send"))
    await task
    assert st.count("n.lost", action="disciplined_send") == 1
