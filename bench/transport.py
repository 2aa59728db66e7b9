"""Signed POST /txs per second through each chain transport, against one sink, in one run.

The sink is a minimal HTTP/1.1 keep-alive server (uvloop + httptools) in its own process,
pinned to the last core; the client runs on uvloop pinned to the first. Each contender sends
the same pre-signed transactions (signing costs the same everywhere and is measured in
bench/generator.py) with the same number of requests in flight, for the same time:

  h1            the lean keep-alive HTTP/1.1 pool on httptools (chain/_h1.py)
  aiohttp-pool  the aiohttp transport, tuned (chain/_aiohttp.py)
  client        HttpAlphaClient.broadcast over fast_transport (edge, errors, models included)
  aiohttp       a bare aiohttp ClientSession.post + read, library defaults (the peer)
  control       control_transport: httpx

Usage: python bench/transport.py [--seconds 4] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing as mp
import os
import socket
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from random import Random

import aiohttp
import orjson
import uvloop

from botruntime.chain._aiohttp import AiohttpTransport
from botruntime.chain._h1 import H1Transport
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.retry import NO_RETRY
from botruntime.chain.transport import Transport, TransportConfig, control_transport
from botruntime.chain.tx import SignedTx, TxBody, bank_send, sign_tx
from botruntime.identity import Identity

CHAIN_ID = "alpha-simnet-1"
ANSWER = orjson.dumps({"hash": "0" * 64, "code": "ok", "status": "pending"})
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Height: 1\r\n"
    + b"Content-Length: %d\r\n\r\n" % len(ANSWER)
    + ANSWER
)


def _pin(core: int) -> None:
    with contextlib.suppress(AttributeError, OSError):  # not every OS can pin
        os.sched_setaffinity(0, {core % (os.cpu_count() or 1)})


def _serve_sink(port: int, ready: Connection) -> None:
    """Answer every request with one fixed submit result, keeping connections alive."""
    import httptools

    _pin((os.cpu_count() or 1) - 1)

    class Sink(asyncio.Protocol):
        def __init__(self) -> None:
            self.parser = httptools.HttpRequestParser(self)
            self.transport: asyncio.Transport | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = transport  # type: ignore[assignment]  # uvloop's own class

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                assert self.transport is not None
                self.transport.close()

        def on_message_complete(self) -> None:
            assert self.transport is not None
            self.transport.write(RESPONSE)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Sink, "127.0.0.1", port, backlog=1024)
        ready.send("ready")
        async with server:
            await server.serve_forever()

    uvloop.run(main())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed_txs(count: int) -> list[SignedTx]:
    alice, bob = Identity.derive("bench", 0), Identity.derive("bench", 1)
    return [
        sign_tx(
            alice,
            TxBody(CHAIN_ID, alice.alpha_address, n, 2000, (bank_send(bob.alpha_address, 10**6),)),
        )
        for n in range(count)
    ]


async def _drive(
    send: Callable[[SignedTx], Awaitable[None]], txs: list[SignedTx], seconds: float, inflight: int
) -> float:
    """Requests per second with `inflight` senders looping until the time is up."""
    done = 0
    stop_at = time.perf_counter() + seconds

    async def sender(offset: int) -> None:
        nonlocal done
        i = offset
        while time.perf_counter() < stop_at:
            await send(txs[i % len(txs)])
            i += inflight
            done += 1

    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for k in range(inflight):
            tg.create_task(sender(k), name=f"sender-{k}")
    return done / (time.perf_counter() - started)


async def _run(url: str, seconds: float, inflight: int) -> dict[str, float]:
    txs = _signed_txs(2000)
    config = TransportConfig(url, pool_size=inflight, client_id="bench")
    results: dict[str, float] = {}

    for name, make in (("h1", H1Transport), ("aiohttp-pool", AiohttpTransport)):
        async with make(config) as transport:

            async def via(tx: SignedTx, transport: Transport = transport) -> None:
                body = {"tx": tx.to_wire(), "mode": "sync"}
                answer = await transport.request("POST", "/txs", json=body)
                assert answer.status == 200

            await _drive(via, txs, 0.3, inflight)  # warm the pool
            results[name] = await _drive(via, txs, seconds, inflight)

    async with HttpAlphaClient(
        url, chain_id=CHAIN_ID, pool_size=inflight, retry_policy=NO_RETRY, rng=Random(0)
    ) as client:

        async def via_client(tx: SignedTx) -> None:
            await client.broadcast(tx)

        await _drive(via_client, txs, 0.3, inflight)
        results["client"] = await _drive(via_client, txs, seconds, inflight)

    async with aiohttp.ClientSession() as session:

        async def via_aiohttp(tx: SignedTx) -> None:
            body = orjson.dumps({"tx": tx.to_wire(), "mode": "sync"})
            async with session.post(
                url + "/txs", data=body, headers={"Content-Type": "application/json"}
            ) as response:
                await response.read()
                assert response.status == 200

        await _drive(via_aiohttp, txs, 0.3, inflight)
        results["aiohttp"] = await _drive(via_aiohttp, txs, seconds, inflight)

    async with control_transport(config) as control:

        async def via_control(tx: SignedTx) -> None:
            answer = await control.request(
                "POST", "/txs", json={"tx": tx.to_wire(), "mode": "sync"}
            )
            assert answer.status == 200

        await _drive(via_control, txs, 0.3, inflight)
        results["control"] = await _drive(via_control, txs, seconds, inflight)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per contender (default 4)")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    args = parser.parse_args()

    port = _free_port()
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    sink = ctx.Process(target=_serve_sink, args=(port, theirs), name="sink", daemon=True)
    sink.start()
    try:
        if not ours.poll(10):
            raise SystemExit("the sink did not start within 10 s")
        ours.recv()
        _pin(0)
        results = uvloop.run(_run(f"http://127.0.0.1:{port}", args.seconds, args.concurrency))
    finally:
        if sink.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(sink.pid, 15)
        sink.join(5)

    peer = results["aiohttp"]
    print(f"signed POST /txs, {args.concurrency} in flight, {args.seconds:g} s each, one core")
    print(f"{'transport':<13} {'req/s':>10} {'vs bare aiohttp':>16}")
    for name, rate in results.items():
        print(f"{name:<13} {rate:>10,.0f} {rate / peer:>15.2f}x")
    print(f"h1 / aiohttp-pool: {results['h1'] / results['aiohttp-pool']:.2f}x")
    print(f"h1 / control (httpx): {results['h1'] / results['control']:.1f}x")


if __name__ == "__main__":
    main()
