"""R5's behaviours: churners read and pay on a connection per request, pooled clients on the
node's pool, probers hold the node to the keep-alive limits it publishes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from alpha_node import FEE, RUN_SEED, AlphaNode

from botruntime.behaviors import BEHAVIORS
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.testing import MockTransport, Request, answer
from botruntime.chain.transport import Answer, TransportConfig
from botruntime.fleet import Chains, ChainSide, FleetContext, Intent, Peers
from botruntime.fleet._commits import CommitWatcher
from botruntime.metrics import Recorder
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio


def _reads(request: Request) -> Answer:
    if request.path.endswith("/balances"):
        return answer({"balances": {"AX": "5000000"}})
    if request.path == "/blocks/latest":
        return answer({"height": 7, "time": "0", "hash": "AB", "prev_hash": "AA", "txs": []})
    if request.path == "/params":
        return answer({"keepalive_idle_s": 1, "max_requests_per_connection": 3})
    raise AssertionError(f"no answer for {request.method} {request.path}")


def _context(pool: MockTransport, fresh: MockTransport) -> FleetContext:
    client = HttpAlphaClient(transport=pool, chain_id="alpha-simnet-1")
    per_request = HttpAlphaClient(transport=fresh, chain_id="alpha-simnet-1")
    side = ChainSide(
        "alpha", [client], CommitWatcher(client), fee=FEE, native=AX, per_request=[per_request]
    )
    return FleetContext(run_id="r", recorder=Recorder(), sides={"alpha": side}, peers=Peers("s", 4))


async def _act(ctx: FleetContext, name: str, bot: Bot, seed: int = 1) -> None:
    rec = Intent(ctx, name, "alpha", 0.0)
    await BEHAVIORS[name].fn(bot, Chains(ctx, bot), random.Random(seed), rec)


def _query_endpoints(ctx: FleetContext) -> set[str]:
    delta = ctx.recorder.flush(0)
    return {dict(h.key.labels)["endpoint"] for h in delta.histograms if h.key.name == "lat.query"}


@pytest.mark.parametrize(
    ("name", "role", "on_pool"), [("churn_read", "churner", False), ("pooled_read", "pooled", True)]
)
async def test_reads_go_to_their_cohorts_client_and_are_measured_under_the_role(
    name: str, role: str, on_pool: bool
) -> None:
    pool, fresh = MockTransport(_reads), MockTransport(_reads)
    ctx = _context(pool, fresh)
    bot = Bot("s", 0, role)
    for seed in range(8):  # both reads: balances and the head
        await _act(ctx, name, bot, seed)
    used, unused = (pool, fresh) if on_pool else (fresh, pool)
    assert {r.path for r in used.requests} == {
        f"/accounts/{bot.alpha_address}/balances",
        "/blocks/latest",
    }
    assert unused.requests == []
    assert all(r.client_id == "r-bot0" for r in used.requests)
    assert _query_endpoints(ctx) == {role}


async def test_a_churned_payment_is_broadcast_per_request_and_settled_like_any_other() -> None:
    node = AlphaNode()
    pool, fresh = MockTransport(node), MockTransport(node)
    client = HttpAlphaClient(transport=pool, chain_id="alpha-simnet-1")
    per_request = HttpAlphaClient(transport=fresh, chain_id="alpha-simnet-1")
    watcher = CommitWatcher(client, poll_s=0.001)
    side = ChainSide("alpha", [client], watcher, fee=FEE, native=AX, per_request=[per_request])
    ctx = FleetContext(
        run_id="run-1", recorder=Recorder(), sides={"alpha": side}, peers=Peers(RUN_SEED, 4)
    )
    bot = Bot(RUN_SEED, 0, "churner")
    bot.wallet.credit(AX, 10_000 * AX.unit)
    ctx.owners[bot.alpha_address] = bot
    await watcher.start()
    task = asyncio.create_task(watcher.run(), name="test-commit-watcher")
    try:
        await _act(ctx, "churn_send_ax", bot)
    finally:
        task.cancel()
    assert [r.path for r in fresh.requests] == ["/txs"]
    assert "/txs" not in [r.path for r in pool.requests if r.method == "POST"]
    (msg,) = node.sent
    assert msg["type"] == "bank.send"
    assert ctx.recorder.counter("n.commit", action="churn_send_ax").value == 1
    assert bot.wallet.balance(AX) == 10_000 * AX.unit - int(str(msg["amount"])) - FEE


@asynccontextmanager
async def node_link(*, idle_s: float | None, cap: int | None) -> AsyncIterator[str]:
    """A loopback node for the probes' own connection: 200 to every request; closes a link
    idle for `idle_s`; `Connection: close` on the `cap`-th request (None: never)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while True:
                try:
                    async with asyncio.timeout(idle_s):
                        await reader.readuntil(b"\r\n\r\n")
                except (TimeoutError, asyncio.IncompleteReadError):
                    return
                served += 1
                last = cap is not None and served >= cap
                close = b"connection: close\r\n" if last else b""
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + close + b"\r\n{}")
                await writer.drain()
                if last:
                    return
        finally:
            writer.close()

    listener = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("name", "check", "idle_s", "cap", "outcome"),
    [
        ("probe_idle_timeout", "idle_timeout", 0.3, None, "honoured"),
        ("probe_idle_timeout", "idle_timeout", None, None, "ignored"),
        ("probe_request_cap", "request_cap", None, 3, "honoured"),
        ("probe_request_cap", "request_cap", None, 4, "ignored"),
        ("probe_request_cap", "request_cap", None, None, "ignored"),
    ],
)
async def test_probes_hold_the_node_to_the_limits_its_params_publish(
    name: str, check: str, idle_s: float | None, cap: int | None, outcome: str
) -> None:
    # the node publishes an idle timeout of 1 s and a cap of 3 requests (`_reads`)
    async with node_link(idle_s=idle_s, cap=cap) as url:
        pool = MockTransport(_reads, TransportConfig(url))
        ctx = _context(pool, MockTransport(_reads))
        await _act(ctx, name, Bot("s", 0, "prober"))
    assert [r.path for r in pool.requests] == ["/params"]
    counted = ctx.recorder.counter("chain.keepalive", action=name, check=check, outcome=outcome)
    assert counted.value == 1
