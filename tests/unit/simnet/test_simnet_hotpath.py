"""HotPath: the hot route goes straight to its endpoint and answers refusals as the app does."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from simnet._errors import Rejected
from simnet._hotpath import HotPath
from simnet._http import read_json, send_json

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def hot(scope: Scope, receive: Receive, send: Send) -> None:
    wire = await read_json(scope, receive, 1_000)
    if wire == "refuse":
        raise Rejected("malformed", "refused on purpose")
    if wire == "crash":
        raise RuntimeError("a bug")
    await send_json(send, {"echo": wire})


async def slow(request: Request) -> Response:
    return PlainTextResponse("from the app")


def client() -> httpx.AsyncClient:
    app = Starlette(routes=[Route("/txs", slow, methods=["GET", "POST"])])
    transport = httpx.ASGITransport(HotPath(app, {("POST", "/txs"): hot}))
    return httpx.AsyncClient(transport=transport, base_url="http://node")


async def test_the_hot_route_skips_the_app_and_the_rest_reach_it() -> None:
    async with client() as http:
        answer = await http.post("/txs", content=b'{"a": 1}')
        assert answer.status_code == 200 and answer.json() == {"echo": {"a": 1}}
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["content-length"] == str(len(answer.content))
        assert (await http.get("/txs")).text == "from the app"


async def test_refusals_get_the_typed_answers() -> None:
    async with client() as http:
        refused = await http.post("/txs", content=b'"refuse"')
        assert refused.status_code == 400 and refused.json()["code"] == "malformed"
        too_large = await http.post("/txs", content=b'"' + b"x" * 2_000 + b'"')
        assert too_large.json()["code"] == "tx_too_large"
        crashed = await http.post("/txs", content=b'"crash"')
        assert crashed.status_code == 500 and crashed.json()["message"] == "RuntimeError('a bug')"
