"""The two cohorts of polling_storm on a scripted Alpha node: the naive poller
(`antipattern/polling.py`) and the subscriber that learns of its payments from the event
stream (`legitimate/subscribe.py`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from alpha_node import AlphaNode, Fleetlet

from botruntime.behaviors.antipattern import polling
from botruntime.behaviors.legitimate import subscribe
from botruntime.chain._core import HttpChainClient
from botruntime.chain.events import EventStream
from botruntime.chain.testing import Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio


@dataclass
class PolledNode(AlphaNode):
    """Answers the first `throttled` tx lookups 429 (Retry-After 5 s), the next `pending`
    ones "pending", then the block the tx is in; and every balance read."""

    throttled: int = 3
    pending: int = 2
    retry_after: str | None = "5"
    lookups: list[float] = field(default_factory=list)
    balance_reads: int = 0
    block_times: dict[int, str] = field(default_factory=dict)

    def __call__(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        if path.startswith("/txs/"):
            self.lookups.append(time.perf_counter())
            if len(self.lookups) <= self.throttled:
                return error_answer(429, "rate_limited", retry_after=self.retry_after)
            if len(self.lookups) <= self.throttled + self.pending:
                return answer({"hash": path[5:], "status": "pending"})
            height = self._height_of(path[5:])
            return answer({"hash": path[5:], "status": "committed", "height": height})
        if path.endswith("/balances"):
            self.balance_reads += 1
            return answer({"balances": {"AX": "1"}})
        made = super().__call__(request)
        if request.method == "POST":
            self.block_times[self.height] = datetime.now(UTC).isoformat()
        return made

    def _height_of(self, tx_hash: str) -> int:
        return next(h for h, txs in self.blocks.items() if any(t["hash"] == tx_hash for t in txs))  # type: ignore[index]


def _sse(kind: str, data: dict[str, object], event_id: int | None = None) -> bytes:
    head = b"" if event_id is None else b"id: %d\n" % event_id
    return head + b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@dataclass
class StreamServer:
    """`GET /events/stream` of a `PolledNode`: each height's tx events, then its block event.
    `lossy`: like simnet's `stream_lossy`, a consumer more than one block behind is moved on
    to the newest block."""

    node: PolledNode
    lossy: bool = False
    asked: list[str | None] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        text = request.url.params.get("from_height")
        self.asked.append(text)
        start = self.node.height + 1 if text is None else int(text)
        return httpx.Response(200, content=self._events(start))

    async def _events(self, height: int) -> AsyncIterator[bytes]:
        yield b": open\n\n"
        for _ in range(5000):  # a bounded "forever" for a unit test
            tip = self.node.height
            if self.lossy and tip - height > 1:
                height = tip
            while height <= tip:
                yield self._block_events(height)
                height += 1
            await asyncio.sleep(0.001)

    def _block_events(self, height: int) -> bytes:
        txs = self.node.blocks.get(height, [])
        parts = [
            _sse("tx", {"hash": t["hash"], "height": height, "index": i, "sender": "ax1"})  # type: ignore[index]
            for i, t in enumerate(txs)
        ]
        data = {
            "height": height,
            "hash": f"H{height}",
            "prev_hash": f"H{height - 1}",
            "time": self.node.block_times.get(height, datetime.now(UTC).isoformat()),
            "txs": len(txs),
        }
        return b"".join([*parts, _sse("block", data, height)])


@pytest.fixture
def polled(fleetlet: Fleetlet) -> Iterator[Fleetlet]:
    node = PolledNode()
    node.__dict__.update({k: v for k, v in fleetlet.node.__dict__.items() if k in ("height",)})
    fleetlet.transport.handler = node
    fleetlet.node = node
    yield fleetlet


async def test_the_poller_keeps_its_pace_through_429s_until_the_tx_is_in_a_block(
    polled: Fleetlet,
) -> None:
    node = polled.node
    assert isinstance(node, PolledNode)
    before = polled.bot.wallet.balance(AX)
    started = time.perf_counter()
    await polled.act(polling.poll_receipt)
    assert len(node.lookups) == node.throttled + node.pending + 1
    # Retry-After said 5 s: the naive poller asked again every 50 ms all the same
    assert node.lookups[-1] - started < 2.0
    gaps = [b - a for a, b in zip(node.lookups, node.lookups[1:], strict=False)]
    assert max(gaps) < 0.5
    assert node.balance_reads >= 2  # every other tick
    recorder = polled.ctx.recorder
    throttled = recorder.timer("query", chain="alpha", action="poll_tx", outcome="rate_limited")
    assert throttled.latency.hdr.get_total_count() == node.throttled
    # the payment settled on the shadow ledger once its block was read
    (sent,) = node.sent
    assert polled.bot.wallet.balance(AX) == before - int(str(sent["amount"])) - 2_000
    assert not polled.bot.wallet.reservations
    assert polled.count("chain.throttled_without_retry_after") == 0


async def test_a_429_without_retry_after_is_counted(polled: Fleetlet) -> None:
    node = polled.node
    assert isinstance(node, PolledNode)
    node.retry_after = None
    await polled.act(polling.poll_receipt)
    assert polled.count("chain.throttled_without_retry_after") == node.throttled


async def _subscriber(
    polled: Fleetlet, monkeypatch: pytest.MonkeyPatch, *, lossy: bool
) -> StreamServer:
    node = polled.node
    assert isinstance(node, PolledNode)
    node.throttled = node.pending = 0
    server = StreamServer(node, lossy=lossy)

    def events(
        self: HttpChainClient,
        *,
        types: tuple[str, ...] = ("block", "tx"),
        from_height: int | None = None,
    ) -> EventStream:
        return EventStream(
            "http://mock",
            types=types,
            from_height=from_height,
            client_id=self.client_id,
            transport=httpx.MockTransport(server.handler),
        )

    monkeypatch.setattr(HttpChainClient, "events", events)
    monkeypatch.setattr(subscribe, "OFFLINE_BLOCKS", 0.0)
    return server


async def _pay(polled: Fleetlet, times: int, *, then_blocks: int = 0) -> None:
    for i in range(times):
        await polled.act(subscribe.notified_send, seed=i)
    polled.node.height += then_blocks  # empty blocks made while the subscriber is away


async def test_the_subscriber_learns_of_each_payment_from_the_stream_and_resumes_by_height(
    polled: Fleetlet, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await _subscriber(polled, monkeypatch, lossy=False)
    try:
        await _pay(polled, subscribe.RECONNECT_EVERY, then_blocks=3)
        resume_from = polled.ctx.subscriptions.of(polled.bot.index).resume_height
        await _pay(polled, 1)
    finally:
        await polled.ctx.subscriptions.aclose()
    assert server.asked == [None, str(resume_from)]
    assert polled.count("chain.stream_resumes") == 1
    for name in ("missed_blocks", "repeated_blocks", "broken_links", "missed_txs", "silent"):
        assert polled.count(f"chain.stream_{name}") == 0, name
    notify = polled.ctx.recorder.timer("notify", chain="alpha", action="act").latency.hdr
    assert notify.get_total_count() == subscribe.RECONNECT_EVERY + 1
    assert notify.get_max_value() < 1_000_000  # µs: each learned of within a second
    # about one request per payment: five POSTs, two stream opens, no lookups
    posts = [r for r in polled.transport.requests if r.method == "POST"]
    gets = [r for r in polled.transport.requests if r.path.startswith("/txs/")]
    assert len(posts) == subscribe.RECONNECT_EVERY + 1 and not gets


async def test_a_stream_that_skips_a_returning_subscriber_ahead_is_caught(
    polled: Fleetlet, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _subscriber(polled, monkeypatch, lossy=True)
    try:
        await _pay(polled, subscribe.RECONNECT_EVERY, then_blocks=3)
        await _pay(polled, 1)
    finally:
        await polled.ctx.subscriptions.aclose()
    assert polled.count("chain.stream_resumes") == 1
    assert polled.count("chain.stream_missed_blocks") >= 2
