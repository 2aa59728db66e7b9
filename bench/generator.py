"""Signed bank.send submissions per second on one core: our client stack next to Locust's.

Ours is what a fleet worker runs, end to end (plan -> sign -> submit -> record):
`botruntime.load.ClosedLoop` with no think time over `--concurrency` sessions, each a bot
with its own `Identity` and nonce; `HttpAlphaClient.sign_send` builds and signs the tx;
`broadcast` sends it through `fast_transport` (the HTTP/1.1 pool of chain/_h1.py) with the
default retry policy and parses the answer; `Recorder.observe` records `lat.submit` and
`svc.submit`. The peer is Locust's FastHttpUser with `wait_time = constant(0)` and as many
users, signing each tx with the same code and posting it (bench/_locust_peer.py), run as a
library in its own process so gevent's patching never touches ours.

Both are closed loops at full speed: a maximum-throughput figure is a closed-loop question
(an `OpenLoop` asked for more than a core can do measures its drops, not its ceiling), and it
is the model Locust runs. Nothing is pre-signed on either side. Both send to one sink
(bench/_sink.py) pinned to the last core; each contender is pinned to the first core, one
after the other, alternating over `--rounds` so drift on a shared machine hits both. Each
figure is the steady state: a warm-up, then `--seconds` measured.

Printed: submissions/s of each (median over rounds, and every round); signed tx per core,
i.e. per CPU-second of the contender's process, and their ratio as the median of the per-round
ratios (target >= 2x Locust over at least five rounds: on a shared machine each contender gets
a varying share of its core, so the per-core figure is the one that compares the two tools;
the ratio of submissions per second is printed too); submit latency p50/p99 (HTTP, after
signing; Locust's resolution is 1 ms); CPU per submission with our breakdown (sign, encode,
record, timed on CPU time; the rest is HTTP and the event loop); the sink's CPU share (it must
not be the limit) and the load average.

`--profile` runs one more window of ours under cProfile and prints where its CPU goes.

    .venv/bin/python bench/generator.py [--seconds 6] [--rounds 5] [--concurrency 32] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil
import uvloop
from _measure import load_span
from _sink import CHAIN_ID, pin, start_sink

from botruntime.chain._h1 import H1Transport
from botruntime.chain._request import encode_body
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.errors import ChainError, Rejected
from botruntime.chain.tx import SignedTx
from botruntime.identity import Identity
from botruntime.load import ClosedLoop, SessionPlan, ThinkTime
from botruntime.metrics import Recorder, RunMetrics

FEE = 2000
AMOUNT = 10**6
TARGET = 2.0


@dataclass(frozen=True, slots=True)
class Figure:
    """One contender's measured window."""

    count: int  # accepted submissions
    failures: int
    elapsed_s: float
    cpu_s: float  # the contender's process, user + system
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.count / self.elapsed_s

    @property
    def core(self) -> float:
        """The share of one core the contender got (others on a shared machine take the rest)."""
        return self.cpu_s / self.elapsed_s

    @property
    def cpu_us(self) -> float:
        return self.cpu_s / max(self.count + self.failures, 1) * 1e6


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


# -- ours ------------------------------------------------------------------------------------


class _Bots:
    """One identity, recipient and local nonce per session, as a fleet worker keeps them."""

    def __init__(self, count: int) -> None:
        self.identities = [Identity.derive("bench-generator", i) for i in range(count)]
        self.to = [Identity.derive("bench-generator-peer", i).alpha_address for i in range(count)]
        for identity in self.identities:
            _ = identity.alpha_address  # derived once per bot, outside the timed window
        self.nonces = [0] * count


async def _ours(
    url: str, sessions: int, warmup_s: float, seconds: float, sink_pid: int
) -> tuple[Figure, float]:
    """Our figure, and the share of its core the sink used meanwhile."""
    bots = _Bots(sessions)
    perf = time.perf_counter
    async with HttpAlphaClient(url, pool_size=sessions, client_id="bench") as client:
        await client.resolve_chain_id()  # GET /status, as a worker does once

        async def run(recorder: Recorder, window_s: float) -> float:
            async def submit(intended_ts: float, slot: int) -> None:
                nonce = bots.nonces[slot]
                bots.nonces[slot] = nonce + 1
                tx = client.sign_send(
                    bots.identities[slot], to=bots.to[slot], amount=AMOUNT, nonce=nonce, fee=FEE
                )
                sent = perf()
                outcome = "ok"
                try:
                    await client.broadcast(tx)
                except Rejected as exc:
                    outcome = exc.code
                except ChainError:
                    outcome = "error"
                recorder.observe("submit", "alpha", "send_ax", outcome, intended_ts, sent, perf())

            plan = SessionPlan(sessions, ThinkTime(0.0, "constant"), window_s)
            loop = ClosedLoop(plan.whole(), submit, role="bench", recorder=recorder)
            return (await loop.run()).elapsed_s

        await run(Recorder(), warmup_s)
        recorder = Recorder()
        proc, sink = psutil.Process(), psutil.Process(sink_pid)
        cpu0, sink0 = _cpu_s(proc), _cpu_s(sink)
        elapsed_s = await run(recorder, seconds)
        cpu_s, sink_s = _cpu_s(proc) - cpu0, _cpu_s(sink) - sink0
    metrics = RunMetrics()
    metrics.ingest(recorder.flush(0))
    every = metrics.count("svc.submit")
    good = metrics.count("svc.submit", {"outcome": "ok"})
    svc = metrics.quantiles_s("svc.submit", {"outcome": "ok"}, (0.5, 0.99))
    figure = Figure(good, every - good, elapsed_s, cpu_s, svc[0.5] * 1e3, svc[0.99] * 1e3)
    return figure, sink_s / elapsed_s


def _breakdown(url: str, count: int = 3000) -> dict[str, float]:
    """µs of CPU per submission spent signing, encoding the request, and recording."""
    client = HttpAlphaClient(url, chain_id=CHAIN_ID, client_id="bench")
    transport = client.transport
    assert isinstance(transport, H1Transport), "fast_transport picks the h1 pool for http://"
    bots = _Bots(1)
    me, to = bots.identities[0], bots.to[0]
    perf = time.perf_counter
    cpu = time.process_time  # CPU, not wall: a busy machine preempts us in the middle

    def per_call_us(work: Callable[[int], object]) -> float:
        started = cpu()
        for n in range(count):
            work(n)
        return (cpu() - started) / count * 1e6

    txs: list[SignedTx] = []

    def sign(n: int) -> None:
        txs.append(client.sign_send(me, to=to, amount=AMOUNT, nonce=n, fee=FEE))

    def encode(n: int) -> bytes:
        body = encode_body({"tx": txs[n].to_wire(), "mode": "sync"}, None)
        return transport._encode("POST", "/txs", body, None, None)

    recorder = Recorder()
    now = perf()

    def record(n: int) -> None:
        recorder.observe("submit", "alpha", "send_ax", "ok", now, now + n * 1e-6, now + 0.002)

    return {"sign": per_call_us(sign), "encode": per_call_us(encode), "record": per_call_us(record)}


def _profile(url: str, sink_pid: int, args: argparse.Namespace, top: int = 25) -> None:
    """One more window of ours under cProfile: the functions that cost the most CPU."""
    profiler = cProfile.Profile()

    async def profiled() -> None:
        profiler.enable()
        try:
            await _ours(url, args.concurrency, args.warmup, args.seconds, sink_pid)
        finally:
            profiler.disable()

    uvloop.run(profiled())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print("profile of ours (cProfile inflates every call; read the shares, not the times):")
    print(out.getvalue())


# -- Locust ----------------------------------------------------------------------------------


def _locust(url: str, users: int, warmup_s: float, seconds: float) -> Figure:
    script = Path(__file__).with_name("_locust_peer.py")
    args = [sys.executable, str(script), "--url", url, "--users", str(users)]
    args += ["--warmup", str(warmup_s), "--seconds", str(seconds)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as peer:
        try:
            out, err = peer.communicate(timeout=warmup_s + seconds + 30)
        except subprocess.TimeoutExpired:
            peer.kill()  # our own child, by its handle
            peer.communicate()
            raise SystemExit("the Locust peer did not finish within 30 s of its window") from None
    if peer.returncode != 0 or not out.strip():
        raise SystemExit(f"the Locust peer failed (exit {peer.returncode}):\n{err[-3000:]}")
    wire = json.loads(out.strip().splitlines()[-1])
    every, failed = int(wire["count"]), int(wire["failures"])
    return Figure(
        every - failed,
        failed,
        float(wire["elapsed_s"]),
        float(wire["cpu_s"]),
        float(wire["p50_ms"]),
        float(wire["p99_ms"]),
    )


# -- report ----------------------------------------------------------------------------------


def _report(
    ours: list[Figure],
    theirs: list[Figure],
    sink_share: list[float],
    parts: dict[str, float],
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
) -> None:
    def med(figures: list[Figure], field: Callable[[Figure], float]) -> float:
        return statistics.median(field(f) for f in figures)

    pairs = list(zip(ours, theirs, strict=True))
    per_core = [t.cpu_us / o.cpu_us for o, t in pairs]  # subs per CPU-second, ours / theirs
    per_wall = [o.rate / t.rate for o, t in pairs]
    ratio = statistics.median(per_core)
    print(
        f"signed bank.send, {args.concurrency} in flight, {args.warmup:g} s warm-up + "
        f"{args.seconds:g} s measured, {args.rounds} alternating rounds, one core each"
    )
    heads = ("subs/s", "p50 ms", "p99 ms", "CPU µs/sub", "core", "failed")
    print(
        f"{'':<24} "
        + " ".join(f"{h:>{w}}" for h, w in zip(heads, (9, 7, 7, 11, 5, 7), strict=True))
    )
    for name, figures in (("testbots (ClosedLoop+h1)", ours), ("Locust FastHttpUser", theirs)):
        print(
            f"{name:<24} {med(figures, _rate):>9,.0f} {med(figures, lambda f: f.p50_ms):>7.2f} "
            f"{med(figures, lambda f: f.p99_ms):>7.2f} {med(figures, lambda f: f.cpu_us):>11.1f} "
            f"{med(figures, lambda f: f.core):>5.0%} {sum(f.failures for f in figures):>7}"
        )
        rounds = ", ".join(f"{f.rate:,.0f} ({f.core:.0%} core)" for f in figures)
        print(f"{'':<24} rounds: {rounds}")
    cpu_us = med(ours, lambda f: f.cpu_us)
    their_cpu_us = med(theirs, lambda f: f.cpu_us)
    verdict = "meets" if ratio >= TARGET else "BELOW"
    print(
        f"signed tx per core (per CPU-second, whatever share of a core each got): testbots "
        f"{1e6 / cpu_us:,.0f}/s, Locust {1e6 / their_cpu_us:,.0f}/s; ratio, median of the "
        f"{len(pairs)} rounds: {ratio:.2f}x (rounds "
        + ", ".join(f"{r:.2f}" for r in per_core)
        + f"; target >= {TARGET}x: {verdict})"
    )
    print(
        f"ratio of submissions per second (each got {med(ours, lambda f: f.core):.0%} and "
        f"{med(theirs, lambda f: f.core):.0%} of its core, median): "
        f"{statistics.median(per_wall):.2f}x (rounds "
        + ", ".join(f"{r:.2f}" for r in per_wall)
        + ")"
    )
    rest = cpu_us - sum(parts.values())
    print(
        "testbots CPU per submission: "
        + ", ".join(f"{name} {us:.1f} µs" for name, us in parts.items())
        + f", HTTP + event loop + client edge {rest:.1f} µs (of {cpu_us:.1f})"
    )
    print(
        f"Locust CPU per submission: {their_cpu_us:.1f} µs "
        f"(signing the same way: {parts['sign']:.1f} µs)"
    )
    print(f"sink core busy during ours: {max(sink_share):.0%} at most (it must not be the limit)")
    print(load_span(load_before))


def _rate(figure: Figure) -> float:
    return figure.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=6.0, help="measured, per contender per round"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured, before each window")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    parser.add_argument("--concurrency", type=int, default=32, help="sessions = Locust users")
    parser.add_argument("--profile", action="store_true", help="profile one more window of ours")
    args = parser.parse_args()
    if os.cpu_count() == 1:
        print("warning: one core only: the sink shares it with the generator", file=sys.stderr)

    load_before = os.getloadavg()
    ours: list[Figure] = []
    theirs: list[Figure] = []
    sink_share: list[float] = []
    with start_sink() as sink:
        pin(0)  # the Locust peer inherits this core
        for r in range(args.rounds):
            order = ("ours", "locust") if r % 2 == 0 else ("locust", "ours")
            for who in order:
                if who == "ours":
                    figure, share = uvloop.run(
                        _ours(sink.url, args.concurrency, args.warmup, args.seconds, sink.pid)
                    )
                    ours.append(figure)
                    sink_share.append(share)
                else:
                    theirs.append(_locust(sink.url, args.concurrency, args.warmup, args.seconds))
                done = (ours if who == "ours" else theirs)[-1]
                print(f"round {r + 1} {who:<6} {done.rate:>9,.0f}/s", file=sys.stderr)
        parts = _breakdown(sink.url)
        if args.profile:
            _profile(sink.url, sink.pid, args)
    _report(ours, theirs, sink_share, parts, args, load_before)


if __name__ == "__main__":
    main()
