"""A node's app refuses what its OpenAPI document calls invalid, and says what a path serves:
a 405 carries `Allow` with every method of the path (RFC 9110), also where a parameter route
would catch a literal sibling's path. Served in process (httpx's ASGI transport, no socket)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from simnet import Network, Params
from simnet._errors import Rejected
from simnet._explore import cursor_pattern, decode_cursor, encode_cursor
from simnet._runtime import Runtime

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def node() -> AsyncIterator[httpx.AsyncClient]:
    network = Network(Params(nodes=1), "http-exact")
    network.step(2)
    app = Runtime(network, 0)._app("alpha", 0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/txs", "GET, HEAD, POST"),  # two routes share the path
        ("PATCH", "/status", "GET, HEAD"),
        ("GET", "/txs/simulate", "POST"),  # not a hash: the path of POST /txs/simulate
        ("OPTIONS", "/txs/simulate", "POST"),
        ("POST", "/blocks/latest", "GET, HEAD"),
        ("POST", "/simnet/nodes/v1/logs", "GET, HEAD"),  # not an action
        ("GET", "/simnet/nodes/v1/stop", "POST"),
        ("DELETE", "/simnet/invariants/bank/total-supply", "GET, HEAD"),
    ],
)
async def test_a_method_the_path_does_not_serve_is_405_with_allow(
    node: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    answer = await node.request(method, path)
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == allow
    assert answer.json()["code"] == "malformed"


@pytest.mark.parametrize(
    "query",
    [
        "/simnet/invariants?full=AAA",
        "/simnet/invariants?full=",
        "/events/stream?types=block,,tx",
        "/events/stream?types=",
        "/events/stream?types=block,",
        "/events/stream?from_height=1e3",
        "/mempool?cursor=eyJ4Ijox",
        "/blocks?limit=1000000000000000000",
    ],
)
async def test_a_parameter_outside_its_schema_is_refused(
    node: httpx.AsyncClient, query: str
) -> None:
    answer = await node.get(query)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "malformed"


async def test_the_documented_values_are_accepted(node: httpx.AsyncClient) -> None:
    for full in ("0", "1", "false", "true"):
        answer = await node.get("/simnet/invariants", params={"full": full})
        assert answer.status_code == 200, answer.text
    assert (await node.get("/blocks", params={"limit": 10**18 - 1})).status_code == 200
    for cursor in ("7", ""):
        assert (await node.get("/mempool", params={"cursor": cursor})).status_code == 200


def test_a_cursor_is_what_its_pattern_says() -> None:
    assert decode_cursor(encode_cursor(12, 0), 2) == (12, 0)
    assert re.fullmatch(cursor_pattern(2), encode_cursor(12, 0))
    assert re.fullmatch(cursor_pattern(2), "")  # no cursor: the first page
    for bad in ("12", "12.3.4", "-1.2", "01.2", "1.2 ", "1e3.2", "."):
        assert not re.fullmatch(cursor_pattern(2), bad)
        with pytest.raises(Rejected, match="not one this node gave"):
            decode_cursor(bad, 2)
