"""The in-memory transport the chain tests share: what a node would see, in order."""

import asyncio

import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.errors import RateLimited, Unreachable
from botruntime.chain.retry import NO_RETRY
from botruntime.chain.testing import MockTransport, Request, answer, error_answer, replies
from botruntime.chain.transport import Answer, TransportConfig

pytestmark = pytest.mark.anyio


async def test_each_request_is_kept_as_the_node_would_see_it() -> None:
    transport = MockTransport(replies(answer({"ok": True}), answer({"n": 1}, height=None)))
    first = await transport.request("GET", "/health", min_height=4, headers={"X-Trace": "t"})
    second = await transport.request("POST", "/txs", json={"tx": 1}, client_id="bot-1")
    assert (first.height, second.height) == (10, None)
    seen = [(r.method, r.path, r.client_id, r.min_height, r.json()) for r in transport.requests]
    assert seen == [
        ("GET", "/health", "testbots", 4, None),
        ("POST", "/txs", "bot-1", None, {"tx": 1}),
    ]
    assert transport.requests[0].headers == {"X-Trace": "t"}


async def test_a_handler_may_wait_raise_or_run_out() -> None:
    async def slow(request: Request) -> Answer:
        await asyncio.sleep(0)
        return answer({"ok": True})

    assert (await MockTransport(slow).request("GET", "/health")).ok
    empty = MockTransport(replies(Unreachable("no route")))
    with pytest.raises(Unreachable):
        await empty.request("GET", "/health")
    with pytest.raises(AssertionError, match="no answer left for GET /status"):
        await empty.request("GET", "/status")


async def test_error_answers_reach_the_client_as_its_typed_errors() -> None:
    limited = error_answer(429, "rate_limited", {"client": "bot-1"}, retry_after="2")
    transport = MockTransport(replies(limited), TransportConfig("http://n", client_id="bot-1"))
    client = HttpAlphaClient(transport=transport, retry_policy=NO_RETRY)
    with pytest.raises(RateLimited) as caught:
        await client.health()
    assert caught.value.retry_after_s == 2.0
    await transport.close()
    with pytest.raises(RuntimeError, match="closed"):
        await transport.request("GET", "/health")
