"""Load engine figures, each next to its peer measured in the same run (DESIGN §5).

1. Open-loop accuracy at 1k/s and 5k/s, on asyncio and uvloop: achieved/target rate and
   schedule lag p50/p99 (targets: >= 0.99 and p99 <= 2 ms), with the process's CPU share.
   Peer: the same loop pacing itself by sleeping 1/rate between arrivals.
2. Recording cost per event through a `Timer` handle and `Recorder.observe`, next to a bare
   `HdrHistogram.record_value` (the ratio is what the recorder adds).
3. RSS of 1,000,000 idle bots (identity + wallet + lifecycle + role; target < 2 GiB), each
   variant in a fresh subprocess. Peer: one sleeping asyncio task per bot (what not to do).

    .venv/bin/python bench/load_engine.py [--seconds 5] [--bots 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable

import psutil
import uvloop

from botruntime.load import OpenLoop, constant
from botruntime.metrics import GeneratorHealth, Recorder, RunMetrics, new_histogram

# -- 1. open-loop accuracy -------------------------------------------------------------------


async def _open_loop(rate: int, seconds: float) -> dict[str, float]:
    rec = Recorder()
    started: list[float] = []
    note = started.append

    async def action(intended_ts: float, slot: int) -> None:
        note(time.perf_counter())

    loop = OpenLoop(constant(rate, seconds), action, role="bench", slots=10_000, recorder=rec)
    health = GeneratorHealth(rec, in_flight=lambda: {"bench": loop.in_flight})
    proc = psutil.Process()
    cpu0 = sum(proc.cpu_times()[:2])
    start = time.perf_counter() + 0.05
    async with asyncio.TaskGroup() as tg:
        watcher = tg.create_task(health.run(), name="health")
        report = await loop.run(start)
        watcher.cancel()
    cpu = (sum(proc.cpu_times()[:2]) - cpu0) / (time.perf_counter() - start)
    run = RunMetrics()
    run.ingest(rec.flush(0))
    lag = run.quantiles_s("gen.schedule_lag", None, (0.5, 0.99))
    planned = int(constant(rate, seconds).expected_count())
    achieved = (len(started) - 1) / (started[-1] - start)
    return {
        "ratio": achieved / rate,
        "count_ratio": report.offered / planned,
        "lag_p50_ms": lag[0.5] * 1e3,
        "lag_p99_ms": lag[0.99] * 1e3,
        "loop_lag_p99_ms": (run.quantile_s("gen.loop_lag", None, 0.99) or 0.0) * 1e3,
        "cpu": cpu,
        "dropped": report.dropped,
    }


async def _naive_sleep(rate: int, seconds: float) -> float:
    """Peer: sleep 1/rate between arrivals, the pacing DESIGN §5 warns against."""
    n = int(rate * seconds)
    start = time.perf_counter()
    for _ in range(n):
        await asyncio.sleep(1 / rate)
    return n / (time.perf_counter() - start) / rate


def _accuracy(seconds: float) -> None:
    print(
        f"\n1. open-loop accuracy ({seconds:g} s per run; targets ratio >= 0.99, lag p99 <= 2 ms)"
    )
    print(
        f"  {'loop':8} {'rate/s':>7} {'achieved/target':>16} {'count':>6} {'lag p50':>8} "
        f"{'lag p99':>8} {'loop p99':>9} {'cpu':>5} | naive sleep(1/rate)"
    )
    runners: list[tuple[str, Callable[..., object]]] = [
        ("asyncio", asyncio.run),
        ("uvloop", uvloop.run),
    ]
    for name, runner in runners:
        for rate in (1000, 5000):
            got = runner(_open_loop(rate, seconds))
            naive = runner(_naive_sleep(rate, min(seconds, 2.0)))
            assert isinstance(got, dict) and isinstance(naive, float)
            ok = "ok" if got["ratio"] >= 0.99 and got["lag_p99_ms"] <= 2.0 else "MISSED"
            print(
                f"  {name:8} {rate:7d} {got['ratio']:16.4f} {got['count_ratio']:6.3f} "
                f"{got['lag_p50_ms']:6.2f}ms {got['lag_p99_ms']:6.2f}ms "
                f"{got['loop_lag_p99_ms']:7.2f}ms {got['cpu']:5.0%} | {naive:6.3f} of target   {ok}"
            )


# -- 2. recording cost -----------------------------------------------------------------------


def _per_event_ns(body: Callable[[int], None], n: int) -> float:
    gc.collect()
    start = time.perf_counter()
    body(n)
    return (time.perf_counter() - start) / n * 1e9


def _recording(n: int = 300_000) -> None:
    values = [1_000 + (i * 7919) % 2_000_000 for i in range(1024)]
    hist = new_histogram()
    rec = Recorder()
    timer = rec.timer("submit", chain="alpha", action="send_ax")
    intents = rec.counter("n.intent", chain="alpha", action="send_ax")

    def bare(n: int) -> None:
        record = hist.record_value
        for i in range(n):
            record(values[i & 1023])

    def bare_pair(n: int) -> None:
        record = hist.record_value
        for i in range(n):
            record(values[i & 1023])
            record(values[i & 1023])

    def via_timer(n: int) -> None:
        for i in range(n):
            done = values[i & 1023] / 1e6
            timer.record(0.0, 0.0005, done)
            intents.add()

    def via_observe(n: int) -> None:
        observe = rec.observe
        for i in range(n):
            observe("submit", "alpha", "send_ax", "ok", 0.0, 0.0005, values[i & 1023] / 1e6)

    bare_ns = _per_event_ns(bare, n)
    pair_ns = _per_event_ns(bare_pair, n)
    timer_ns = _per_event_ns(via_timer, n)
    observe_ns = _per_event_ns(via_observe, n)
    flush_s = time.perf_counter()
    delta = rec.flush(0)
    flush_ms = (time.perf_counter() - flush_s) * 1e3
    merge = RunMetrics()
    merge_s = time.perf_counter()
    merge.ingest(delta)
    merge_ms = (time.perf_counter() - merge_s) * 1e3
    print(f"\n2. recording cost per event ({n:,} events; one event = latency + service + counter)")
    print(f"  bare record_value           {bare_ns:7.0f} ns   1.00x")
    print(f"  bare record_value x2        {pair_ns:7.0f} ns   {pair_ns / bare_ns:.2f}x")
    print(f"  Timer.record + Counter.add  {timer_ns:7.0f} ns   {timer_ns / bare_ns:.2f}x")
    print(f"  Recorder.observe            {observe_ns:7.0f} ns   {observe_ns / bare_ns:.2f}x")
    size = sum(len(h.blob) for h in delta.histograms)
    print(
        f"  per interval: flush {flush_ms:.2f} ms for {len(delta.histograms)} histograms "
        f"({size:,} B encoded), merge on the coordinator {merge_ms:.2f} ms"
    )


# -- 3. idle bots ----------------------------------------------------------------------------


def _idle_bots(count: int, variant: str) -> dict[str, float]:
    """Run in a fresh process: RSS growth from making `count` idle bots of one variant."""
    gc.collect()
    proc = psutil.Process()
    before = proc.memory_info().rss
    start = time.perf_counter()
    if variant == "task":

        async def hold() -> int:
            never = asyncio.Event()
            async with asyncio.TaskGroup() as tg:
                tasks = [tg.create_task(never.wait(), name="idle") for _ in range(count)]
                await asyncio.sleep(0.1)
                grown = proc.memory_info().rss
                for task in tasks:
                    task.cancel()
            return grown

        after = asyncio.run(hold())
    else:
        from botruntime.bots.bot import Bot
        from botruntime.wallet import Denom

        bots = [Bot("bench-seed", i, "payers") for i in range(count)]
        if variant == "funded":
            for bot in bots:
                bot.wallet.credit(Denom.AX, 10**12)
                bot.wallet.credit(Denom.DX, 10**12)
                bot.lifecycle.funded("genesis")
        after = proc.memory_info().rss
    return {"bytes_per_bot": (after - before) / count, "seconds": time.perf_counter() - start}


def _bots(count: int) -> None:
    print("\n3. RSS of idle bots (target: 1,000,000 in < 2 GiB, i.e. <= 2,147 B each)")
    variants = [
        ("created (identity lazy, empty wallet, lifecycle, role)", "created", count),
        ("funded (wallet holds AX + DX, lifecycle funded)", "funded", count),
        ("peer: one sleeping asyncio task per bot", "task", count // 10),
    ]
    for label, variant, n in variants:
        out = subprocess.run(
            [sys.executable, __file__, "--idle-bots", str(n), "--variant", variant],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        got = json.loads(out.stdout)
        per = got["bytes_per_bot"]
        total_gib = per * 1_000_000 / 2**30
        print(
            f"  {label:56} {per:7.0f} B/bot -> {total_gib:5.2f} GiB per million "
            f"({n:,} made in {got['seconds']:.1f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each open-loop run")
    parser.add_argument("--bots", type=int, default=1_000_000)
    parser.add_argument("--idle-bots", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="created", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle_bots:
        print(json.dumps(_idle_bots(args.idle_bots, args.variant)))
        return
    began = time.perf_counter()
    print(
        f"testbots load engine bench (python {sys.version.split()[0]}, {psutil.cpu_count()} "
        f"cores, load average {_load()}: other work on the machine shows as lag tails)"
    )
    _accuracy(args.seconds)
    _recording()
    _bots(args.bots)
    print(f"\nbench took {time.perf_counter() - began:.0f} s; load average now {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in psutil.getloadavg())


if __name__ == "__main__":
    main()
