"""EventStream.open (connect when the caller says, to time it) and `events()` on both chains."""

from __future__ import annotations

import httpx
import pytest

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.errors import RateLimited, Unreachable
from botruntime.chain.events import BlockEvent, EventStream
from botruntime.chain.testing import MockTransport, answer

pytestmark = pytest.mark.anyio

BLOCK = b'id: 4\nevent: block\ndata: {"height":4,"hash":"H","prev_hash":"P","time":"t","txs":0}\n\n'


async def test_open_connects_once_and_iteration_reads_that_connection() -> None:
    asked: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params.get("from_height"))
        return httpx.Response(200, content=b": open\n\n" + BLOCK)

    stream = EventStream("http://node", from_height=4, transport=httpx.MockTransport(handler))
    async with stream:
        assert await stream.open() is stream
        assert await stream.open() is stream  # already connected: no second request
        event = await anext(stream)
    assert isinstance(event, BlockEvent) and event.height == 4
    assert asked == ["4"] and stream.connections == 1 and stream.next_height == 5


async def test_open_raises_the_typed_error_of_an_error_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = b'{"code":"rate_limited","codespace":"sdk","message":"slow down","details":{}}'
        return httpx.Response(429, headers={"retry-after": "2"}, content=body)

    async with EventStream("http://node", transport=httpx.MockTransport(handler)) as stream:
        with pytest.raises(RateLimited):
            await stream.open()


async def test_open_without_an_answer_is_unreachable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    async with EventStream("http://node", transport=httpx.MockTransport(handler)) as stream:
        with pytest.raises(Unreachable):
            await stream.open()


async def test_alpha_streams_its_node_as_the_client_it_is_for() -> None:
    alpha = HttpAlphaClient(
        transport=MockTransport(lambda request: answer({})), chain_id="alpha-simnet-1"
    )
    stream = alpha.for_client("backend-7").events(from_height=9)
    try:
        assert stream.next_height == 9 and stream.types == ("block", "tx")
        assert stream._http.headers["x-client-id"] == "backend-7"
        assert str(stream._http.base_url).startswith("http://mock")
    finally:
        await stream.aclose()
