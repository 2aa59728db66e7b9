"""A latency fault is a service time under the node's capacity (simnet/_gate.py): a node that
sheds never makes an admitted request wait; one without load shedding queues the rest, and
their wait grows with the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from simnet import Params
from simnet._gate import NodeGate

pytestmark = pytest.mark.anyio
Answer = tuple[int, float, dict[bytes, bytes]]

LATENCY_S = 0.1
CAPACITY = 2  # the admission queue: the node serves this many requests at once
REQUESTS = 6


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def _ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _ask(gate: NodeGate, i: int) -> Answer:
    """One GET /health through the gate: its status, seconds to answer, headers."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer: dict[str, object] = {}

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = dict(message.get("headers", []))

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/health",
        "headers": [(b"x-client-id", f"c{i}".encode())],
        "client": ("127.0.0.1", 40_000 + i),
    }
    await gate(scope, receive, send)
    headers = answer["headers"]
    assert isinstance(headers, dict) and isinstance(answer["status"], int)
    return answer["status"], loop.time() - started, headers


async def _burst(bench_factory: Callable[..., Any], vuln: tuple[str, ...]) -> list[Answer]:
    bench = bench_factory(Params(admission_queue=CAPACITY), vuln=vuln)
    bench.alpha.nodes[0].faults.latency_ms = LATENCY_S * 1000
    gate = NodeGate(_ok, bench.network, "alpha", 0)
    return list(await asyncio.gather(*(_ask(gate, i) for i in range(REQUESTS))))


async def test_a_shedding_node_serves_what_it_admits_at_once_and_sheds_the_rest(
    bench_factory: Callable[..., Any],
) -> None:
    answers = await _burst(bench_factory, ())
    served = [s for status, s, _ in answers if status == 200]
    shed = [h for status, _, h in answers if status == 503]
    assert len(served) == CAPACITY and len(shed) == REQUESTS - CAPACITY
    assert all(b"retry-after" in h for h in shed)
    # each admitted request cost its service time, and none waited for another's slot: they
    # were served side by side (a busy machine delays both alike)
    assert min(served) >= LATENCY_S * 0.9
    assert max(served) - min(served) < LATENCY_S * 0.9


async def test_without_load_shedding_the_queue_waits_for_the_nodes_capacity(
    bench_factory: Callable[..., Any],
) -> None:
    answers = await _burst(bench_factory, ("no_load_shedding",))
    assert [status for status, _, _ in answers] == [200] * REQUESTS
    seconds = sorted(s for _, s, _ in answers)
    # CAPACITY at a time: the last of six waited for two services before its own
    waves = REQUESTS // CAPACITY
    assert seconds[-1] >= waves * LATENCY_S * 0.9
    assert seconds[0] < seconds[-1] - LATENCY_S * 0.9
