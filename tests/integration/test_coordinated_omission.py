"""Coordinated omission, shown on real sockets: a server that stalls 1 s every 10 s.

Both loops talk to it over one keep-alive connection each (aiohttp, connector limit 1), the way
a bot holds one connection. During the stall the open loop keeps its schedule: ~100 arrivals
queue behind the stuck request, and their latency, measured from `intended_ts`, shows the
stall (p99 ≥ 0.9 s). Their service time, measured from when each request actually went on the
wire, does not (p99 stays at loopback speed): that is the number a tool that ignores intended
time would report. The closed loop, run at the same moment against the same server, waits the
stall out once and so reports a p99 that hides it, though its max saw it.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import aiohttp
import pytest

from botruntime.load import ClosedLoop, OpenLoop, SessionPlan, ThinkTime, constant
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder, RunMetrics

pytestmark = pytest.mark.anyio

RUN_S = 8.0  # covers the stall at [4 s, 5 s) after the first request, and no other

_SERVER = """
import asyncio, sys, time
from aiohttp import web

STALL_EVERY_S, STALL_S, STALL_AT_S = 10.0, 1.0, 4.0
t0 = None

async def ping(request):
    global t0
    now = time.monotonic()
    if t0 is None:
        t0 = now  # the first request starts the server's clock
    phase = (now - t0) % STALL_EVERY_S
    if STALL_AT_S <= phase < STALL_AT_S + STALL_S:
        await asyncio.sleep(STALL_AT_S + STALL_S - phase)
    return web.Response(text="pong")

async def main():
    app = web.Application()
    app.router.add_get("/ping", ping)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.fixture
def stalling_server() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=15):
                raise RuntimeError("the stalling server printed no port within 15 s")
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/ping"
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def _client(sent: dict[int, float]) -> aiohttp.ClientSession:
    """One connection; records when each request's headers actually went out."""

    async def on_headers_sent(
        session: aiohttp.ClientSession,
        ctx: SimpleNamespace,
        params: aiohttp.TraceRequestHeadersSentParams,
    ) -> None:
        sent[id(ctx.trace_request_ctx)] = time.perf_counter()

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers_sent)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), trace_configs=[trace])


async def test_open_loop_latency_shows_the_stall_that_service_time_and_closed_loop_hide(
    stalling_server: str,
) -> None:
    url = stalling_server
    open_rec, closed_rec = Recorder("open"), Recorder("closed")
    open_sent: dict[int, float] = {}
    closed_sent: dict[int, float] = {}

    async def call(
        http: aiohttp.ClientSession, sent: dict[int, float], rec: Recorder, intended_ts: float
    ) -> None:
        marker = SimpleNamespace()
        async with asyncio.timeout(5), http.get(url, trace_request_ctx=marker) as resp:
            await resp.read()
        done = time.perf_counter()
        outcome = "ok" if resp.status == 200 else f"http{resp.status}"
        rec.observe("query", rec.source, "/ping", outcome, intended_ts, sent.pop(id(marker)), done)

    merged = RunMetrics()

    async def sink(delta: IntervalDelta) -> None:  # through the wire format, as a worker would
        merged.ingest(IntervalDelta.from_bytes(delta.to_bytes()))

    async with _client(open_sent) as open_http, _client(closed_sent) as closed_http:
        async with asyncio.timeout(5), open_http.get(url) as resp:  # starts the stall clock
            assert resp.status == 200

        async def open_action(intended_ts: float, slot: int) -> None:
            await call(open_http, open_sent, open_rec, intended_ts)

        async def closed_action(intended_ts: float, slot: int) -> None:
            await call(closed_http, closed_sent, closed_rec, intended_ts)

        open_loop = OpenLoop(
            constant(100, RUN_S), open_action, role="open", slots=1000, recorder=open_rec
        )
        sessions = SessionPlan(sessions=1, think=ThinkTime(0.01, "constant"), seconds=RUN_S)
        closed_loop = ClosedLoop(
            sessions.whole(), closed_action, role="closed", recorder=closed_rec
        )
        start = time.perf_counter()
        pumps = [IntervalPump(r, sink, start_ts=start) for r in (open_rec, closed_rec)]
        async with asyncio.timeout(RUN_S + 10), asyncio.TaskGroup() as tg:
            for pump in pumps:
                tg.create_task(pump.run(), name=f"pump-{pump}")
            open_run = tg.create_task(open_loop.run(start), name="open-loop")
            closed_run = tg.create_task(closed_loop.run(start), name="closed-loop")
            await asyncio.wait({open_run, closed_run})
            for pump in pumps:
                pump.stop()

    opened, closed = open_run.result(), closed_run.result()
    assert (opened.offered, opened.dropped, opened.failed) == (800, 0, 0)
    assert closed.failed == 0 and closed.offered > 200
    assert merged.count("lat.query", {"chain": "open", "outcome": "ok"}) == 800

    def p99(metric: str, loop: str) -> float:
        value = merged.quantile_s(metric, {"chain": loop, "endpoint": "/ping"}, 0.99)
        assert value is not None
        return value

    figures = {
        f"{metric} {loop} p99": p99(metric, loop)
        for metric in ("lat.query", "svc.query")
        for loop in ("open", "closed")
    }
    # open loop: latency from the schedule sees the stall, service time does not
    assert figures["lat.query open p99"] >= 0.9, figures
    assert figures["svc.query open p99"] < 0.2, figures
    # closed loop, same server, same second: its p99 hides the stall its max saw
    assert figures["lat.query closed p99"] < 0.2, figures
    closed_max = merged.quantile_s("lat.query", {"chain": "closed"}, 1.0)
    assert closed_max is not None and closed_max >= 0.9, closed_max
    assert figures["lat.query open p99"] - figures["lat.query closed p99"] > 0.7, figures
