"""Where simnet's CPU per committed transfer goes: bench/simnet_capacity.py's load in one
process, without sockets, each part timed.

The requests are the capacity bench's (the same 200 senders, signed transfers, aiohttp's
headers) fed to the nodes' own HTTP protocol (simnet/_transport.py, uvicorn's httptools parser,
the gate, the answer written to a transport that only counts), 16 connections over the 4 Alpha
nodes. The network's clock is driven at `--rate` tx/s: gossip every 0.01 s, a block every
0.1 s, as `python -m simnet --block-time 0.1` does. Each request's time is split by timing the
chain's calls inside it (decode, signature verification, admission into the receiving node);
what is left of the request is the front end (HTTP parsing, the gate, the answer). Gossip
(the other nodes' admissions) and block production are timed as the runtime calls them.

What the capacity bench measures on top of this figure is the sockets, the event loop and the
kernel (and the caches they cool). Run next to it to place every µs of its CPU per tx.

Each round runs in a fresh process. With `--peer-root DIR` (another checkout, e.g. the code
before a change) or `--peer-pure` (this tree's simnet uncompiled, SIMNET_PURE=1) rounds
alternate between this tree's simnet and the peer, so a busy machine weighs on both alike; the
medians of each part are printed side by side. A compiled Chain (simnet/_compiled.py) cannot be
wrapped: its decode and admission are counted in the front end's figure.

Usage: python bench/simnet_split.py [--rounds 3] [--per-sender 150] [--rate 4000]
    [--peer-root DIR | --peer-pure]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import nacl.signing
import uvloop
from _measure import add_peer_arguments, bare_verify_us, load_span, simnet_sides
from simnet_capacity import signed_bodies
from uvicorn.server import ServerState

import simnet.__main__
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params
from simnet._runtime import Runtime

PARTS = (
    ("HTTP front end (parse, gate, answer)", "front_us"),
    ("decode (JSON to entry), not verify", "decode_us"),
    ("signature verify", "verify_us"),
    ("admission into the receiving node", "admit_us"),
    ("gossip (the other nodes' admissions)", "gossip_us"),
    ("block production", "blocks_us"),
)
SENDERS = 200
CONNECTIONS = 16
GOSSIP_S = 0.01
BLOCK_S = 0.1


class CountingTransport:
    """What the protocol needs of a socket's transport; the answers are counted, not sent."""

    def __init__(self, peer_port: int) -> None:
        self.peer = ("127.0.0.1", peer_port)
        self.answers = 0
        self.closing = False

    def write(self, data: bytes) -> None:
        self.answers += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 26600), "peername": self.peer}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Clock:
    """The network's clock, moved by the load: one tx every 1/rate seconds."""

    def __init__(self) -> None:
        self.now = 1_764_079_200.0

    def __call__(self) -> float:
        return self.now


class Timed:
    """Seconds spent in the wrapped calls (perf_counter: the run is one busy thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def request_bytes(sender: int, body: bytes) -> bytes:
    """A POST /txs as aiohttp sends it (header order and values), in one piece."""
    head = (
        b"POST /txs HTTP/1.1\r\nHost: 127.0.0.1:26600\r\n"
        b"X-Client-Id: bench-%d\r\nContent-Type: application/json\r\nAccept: */*\r\n"
        b"Accept-Encoding: gzip, deflate, br\r\nUser-Agent: Python/3.11 aiohttp/3.14.5\r\n"
        b"Content-Length: %d\r\n\r\n"
    )
    return head % (sender, len(body)) + body


async def run(per_sender: int, rate: float) -> dict[str, float]:
    clock = Clock()
    params = Params(nodes=4, block_time_s=BLOCK_S, max_block_txs=5_000)
    network = Network(params, "bench", [], clock=clock)
    senders = [Identity.derive("bench", i) for i in range(SENDERS)]
    network.reset("bench", [GenesisAccount(i.alpha_address, {"AX": 10**15}) for i in senders])
    runtime = Runtime(network, 0)
    loop = asyncio.get_running_loop()
    states = [ServerState() for _ in range(params.nodes)]
    ports = iter(range(40_000, 65_000))
    transports: list[CountingTransport] = []

    def connect(slot: int) -> Any:
        """A connection to node slot % nodes, as the load's client opens one (again after
        the node closed the last, at its requests-per-connection cap)."""
        node = slot % params.nodes
        config = runtime.servers[("alpha", node)].config
        protocol = config.http_protocol_class(  # type: ignore[call-arg]
            config=config, server_state=states[node], app_state={}, _loop=loop
        )
        transport = CountingTransport(next(ports))
        protocol.connection_made(cast(asyncio.Transport, transport))
        transports.append(transport)
        return protocol

    protocols = [connect(slot) for slot in range(CONNECTIONS)]
    bodies = signed_bodies(SENDERS, per_sender)
    requests = [request_bytes(i, bodies[i][n]) for n in range(per_sender) for i in range(SENDERS)]

    chain = network.chains["alpha"]
    decode, verify, admit = Timed(), Timed(), Timed()
    # a compiled Chain (simnet/_compiled.py) has no per-instance attributes to wrap: its
    # decode and admission stay in the front end's figure (printed as such)
    split_chain = True
    try:
        chain.decode = decode.wrap(chain.decode)  # type: ignore[method-assign]
        chain.admit = admit.wrap(chain.admit)  # type: ignore[method-assign]
    except AttributeError:
        split_chain = False
    # simnet checks a signature with libsodium's crypto_sign_open on the key's bytes (older
    # trees with VerifyKey.verify): whichever it calls is timed
    admission = sys.modules.get("simnet._admission")
    verifiers: list[tuple[Any, str]] = [(nacl.signing.VerifyKey, "verify")]
    if admission is not None and hasattr(admission, "crypto_sign_open"):
        verifiers.append((admission, "crypto_sign_open"))
    originals = [(owner, name, getattr(owner, name)) for owner, name in verifiers]
    for owner, name, call in originals:
        setattr(owner, name, verify.wrap(call))
    # as `python -m simnet` does once it has started (older trees: `_tune_gc`)
    tune = getattr(simnet.__main__, "tune_gc", None) or simnet.__main__._tune_gc
    tune()
    per_gossip = max(1, round(rate * GOSSIP_S))
    per_block = max(1, round(rate * BLOCK_S))
    wall = {"requests": 0.0, "gossip": 0.0, "blocks": 0.0}
    cpu_start = time.process_time()
    try:
        for k, request in enumerate(requests):
            start = time.perf_counter()
            slot = k % CONNECTIONS
            if protocols[slot].transport.is_closing():
                protocols[slot] = connect(slot)
            protocols[slot].data_received(request)
            if k % CONNECTIONS == CONNECTIONS - 1:
                await asyncio.sleep(0)  # the answers gathered in this step are sent
            at = time.perf_counter()
            wall["requests"] += at - start
            clock.now += 1 / rate
            if k % per_gossip == per_gossip - 1:
                network.pump()
                wall["gossip"] += time.perf_counter() - at
                at = time.perf_counter()
            if k % per_block == per_block - 1:
                network.tick()
                wall["blocks"] += time.perf_counter() - at
        for _ in range(3):  # the last txs into blocks
            clock.now += BLOCK_S
            at = time.perf_counter()
            network.pump()
            network.tick()
            wall["blocks"] += time.perf_counter() - at
    finally:
        for owner, name, call in originals:
            setattr(owner, name, call)
    cpu = time.process_time() - cpu_start
    committed = sum(len(chain.blocks[h].txs) for h in range(1, chain.height + 1))
    answers = sum(t.answers for t in transports)
    if committed != len(requests) or answers != len(requests):
        raise SystemExit(f"{len(requests)} sent, {answers} answered, {committed} committed")
    # the request's own admission is `admit` outside gossip; gossip's admissions are in pump
    in_requests = wall["requests"]
    total_wall = sum(wall.values())
    scale = cpu / total_wall  # CPU per wall second: this one thread's share of the core
    if not split_chain:  # verify alone is timed inside the request
        decode.seconds, admit.seconds = verify.seconds, 0.0
    return {
        "committed": committed,
        "compiled": float(compiled_modules()),
        "cpu_us": cpu / committed * 1e6,
        "verify_us": verify.seconds * scale / committed * 1e6,
        "decode_us": (decode.seconds - verify.seconds) * scale / committed * 1e6
        if split_chain
        else math.nan,
        "admit_us": admit.seconds * scale / committed * 1e6 if split_chain else math.nan,
        "front_us": (in_requests - decode.seconds - admit.seconds) * scale / committed * 1e6,
        "gossip_us": wall["gossip"] * scale / committed * 1e6,
        "blocks_us": wall["blocks"] * scale / committed * 1e6,
    }


def compiled_modules() -> int:
    """How many of simnet's modules run compiled (extension modules) in this process."""
    return sum(
        1
        for name, module in sys.modules.items()
        if name.startswith("simnet.") and str(getattr(module, "__file__", "")).endswith(".so")
    )


def measure(per_sender: int, rate: float) -> dict[str, float]:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        split = runner.run(run(per_sender, rate))
    split["bare_verify_us"] = bare_verify_us(2.0)
    return split


def child(env: dict[str, str], per_sender: int, rate: float) -> dict[str, float]:
    """`measure` (this file's) in a fresh process with environment `env` (a side of
    `simnet_sides`: whose simnet it imports)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    command += ["--per-sender", str(per_sender), "--rate", str(rate)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-sender", type=int, default=150)
    parser.add_argument("--rate", type=float, default=4_000.0, help="tx/s of network time")
    add_peer_arguments(parser)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.per_sender, args.rate)))
        return
    load_before = os.getloadavg()
    ours = Path(__file__).resolve().parent.parent
    roots = simnet_sides(args, ours)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for i in range(args.rounds):
        for name, (_, env) in roots.items():
            split = child(env, args.per_sender, args.rate)
            runs[name].append(split)
            print(
                f"round {i + 1} {name}: {split['cpu_us']:.1f} us per committed tx, "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    medians = {
        name: {k: statistics.median(s[k] for s in splits) for k in splits[0]}
        for name, splits in runs.items()
    }
    first = medians["ours"]
    print(
        f"{first['committed']:,.0f} signed transfers committed in one process per round, "
        f"{SENDERS} senders, 4 nodes, {args.rate:,.0f} tx/s of network time; "
        f"medians of {args.rounds} rounds ({' | '.join(roots)})"
    )

    def row(label: str, key: str) -> str:
        return f"  {label:<40} " + " | ".join(f"{m[key]:6.1f}" for m in medians.values())

    print(row("simnet modules compiled", "compiled"))
    print(row("CPU per committed tx, us", "cpu_us"))
    for label, key in PARTS:
        print(row(label, key))
    print(row("a bare PyNaCl verify, same process, us", "bare_verify_us"))
    if any(math.isnan(m["decode_us"]) for m in medians.values()):
        print("  (nan: a compiled Chain's decode and admission are timed within the front end)")
    print(load_span(load_before))


if __name__ == "__main__":
    main()
