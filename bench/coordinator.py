"""The coordinator's CPU under 50, 100 and 200 workers, next to the bare merge it must do.

Each level starts a real `testbots coordinator` process and simulated workers, many per
process, over real gRPC: each registers (capacity 1 bot), opens its Session, takes its one-bot
assignment of a run, then every second sends a heartbeat and one metric delta of 20 metric
keys, two histograms per key (a `Timer`'s latency and service time, as the fleet records
them). The coordinator's CPU is read with psutil on its PID over the measured window.

Peer, measured in this run on the same histograms: the naive merge, `HdrHistogram.decode` and
`add` per histogram (what a coordinator that decodes every blob into a histogram would spend),
scaled to the level's histograms per second. Target: 200 workers under 25 % of one core.

Before this strategy (decode + add of every blob on arrival) the coordinator used 19 %, 36 % and
69 % of a core at 50, 100 and 200 workers. Now RunMetrics decodes each blob into one reused
scratch array to check it and count it exactly, and adds it (its non-zero span only) into the
whole-run histogram when a query needs it; a client re-merges the deltas itself anyway.

    .venv/bin/python bench/coordinator.py [--workers 50,100,200] [--seconds 10] [--procs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
import psutil

from botruntime.cluster import ControlClient, DistributeRequest
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.metrics import HistogramDelta, IntervalDelta, Recorder, RunMetrics
from botruntime.metrics._hdr import decode, new_histogram

KEYS = 20  # metric keys per delta; a Timer records two histograms per key
VALUES = 50  # values per histogram per interval (one worker's second of one action)
POOL = 8  # distinct deltas a simulated worker cycles through
_CLI = "from botruntime.cli import main; main()"
ROOT = Path(__file__).resolve().parents[1]


def delta_pool(seed: int) -> list[tuple[HistogramDelta, ...]]:
    """Encoded histograms as a fleet's recorder makes them, one interval each."""
    rng = random.Random(seed)
    out = []
    for interval in range(POOL):
        rec = Recorder(source="pool")
        timers = [rec.timer("submit", chain="alpha", action=f"act{k:02d}") for k in range(KEYS)]
        for timer in timers:
            for _ in range(VALUES):
                service = rng.lognormvariate(-5.5, 0.6)
                timer.record(0.0, rng.random() * 0.002, service + 0.002)
        out.append(rec.flush(interval).histograms)
    return out


# -- the peer: a bare decode + add, in this process -------------------------------------------


def naive_us_per_histogram(pool: list[tuple[HistogramDelta, ...]], rounds: int = 5) -> float:
    blobs = [h.blob for hs in pool for h in hs] * rounds
    merged = new_histogram()
    t0 = time.process_time()
    for i, blob in enumerate(blobs):
        merged.add(decode(blob, field=f"blob {i}"))
    return (time.process_time() - t0) / len(blobs) * 1e6


def ingest_us_per_histogram(
    pool: list[tuple[HistogramDelta, ...]], rounds: int = 25
) -> tuple[float, float]:
    """RunMetrics.ingest of whole wire deltas (parse + check), then the deferred additions
    (what a query or a Prometheus scrape pays once), each per histogram."""
    payloads = [
        IntervalDelta(f"w{r}", i, histograms=hs).to_bytes()
        for r in range(rounds)
        for i, hs in enumerate(pool)
    ]
    metrics = RunMetrics()
    n = len(payloads) * 2 * KEYS
    t0 = time.process_time()
    for payload in payloads:
        metrics.ingest(IntervalDelta.from_bytes(payload))
    t1 = time.process_time()
    folded = metrics.count("lat.submit", window=None)
    metrics.histogram("lat.submit")  # adds every blob checked so far
    t2 = time.process_time()
    assert folded == metrics.histogram("lat.submit").get_total_count() == n // 2 * VALUES
    return (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6


# -- simulated workers (run in child processes) -----------------------------------------------


async def _sim_worker(
    stub: Any, token: str, name: str, pool: list[tuple[HistogramDelta, ...]], sent: list[int]
) -> None:
    meta = (("x-testbots-token", token),)
    reply = await stub.RegisterWorker(
        pb.RegisterWorkerRequest(name=name, capacity_bots=1, version="bench"),
        metadata=meta,
        timeout=30.0,
    )
    call = stub.Session(metadata=meta)
    await call.write(
        pb.WorkerMessage(
            hello=pb.SessionHello(worker_id=reply.worker_id, session_key=reply.session_key)
        )
    )
    assigned: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        async for message in call:
            if message.WhichOneof("kind") == "assign" and not assigned.done():
                assigned.set_result((message.assign.run_id, message.assign.assignment_id))

    async with asyncio.TaskGroup() as tg:
        reader = tg.create_task(read(), name=f"{name}-in")
        await asyncio.sleep(random.random())  # workers do not beat in lockstep
        due, beat_seq, delta_seq = time.monotonic(), 0, 0
        while not reader.done():
            beat_seq += 1
            beat = pb.Heartbeat(seq=beat_seq, sent_at_unix_us=int(time.time() * 1e6))
            await call.write(pb.WorkerMessage(heartbeat=beat))
            if assigned.done():
                run_id, assignment_id = assigned.result()
                histograms = pool[delta_seq % len(pool)]
                payload = IntervalDelta(assignment_id, delta_seq, histograms=histograms).to_bytes()
                delta = pb.MetricDelta(
                    run_id=run_id, assignment_id=assignment_id, seq=delta_seq, payload=payload
                )
                await call.write(pb.WorkerMessage(delta=delta))
                delta_seq += 1
                sent[0] += 1
            due += 1.0
            await asyncio.sleep(max(due - time.monotonic(), 0.001))


async def simulate(address: str, token: str, count: int, tag: str) -> None:
    pool = delta_pool(seed=hash(tag) & 0xFFFF)
    sent = [0]
    channels = [grpc.aio.insecure_channel(address) for _ in range(count)]
    try:
        async with asyncio.TaskGroup() as tg:
            for i, channel in enumerate(channels):
                stub = pb_grpc.BotOrchestrationStub(channel)  # type: ignore[no-untyped-call]
                tg.create_task(_sim_worker(stub, token, f"{tag}-{i}", pool, sent), name=f"w{i}")
    finally:
        for channel in channels:
            await channel.close()


# -- the driver --------------------------------------------------------------------------------


def _start(args: list[str], log: Path, token: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "TESTBOTS_TOKEN": token},
        )


def _wait_for(log: Path, pattern: str, proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text(errors="replace"))
        if found:
            return found.group(1)
        if proc.poll() is not None:
            raise SystemExit(f"{log.name} exited:\n{log.read_text()[-2000:]}")
        time.sleep(0.05)
    raise SystemExit(f"{log.name}: no {pattern!r} within {timeout_s} s")


async def _level(workers: int, procs: int, seconds: float, logs: Path) -> dict[str, float]:
    token = secrets.token_hex(16)
    coordinator_log = logs / f"coordinator-{workers}.log"
    coordinator = _start(
        ["-c", _CLI, "coordinator", "--listen=127.0.0.1:0", "--start-delay-s=1"],
        coordinator_log,
        token,
    )
    children = [coordinator]
    try:
        address = _wait_for(coordinator_log, r"coordinator ready on (\S+)", coordinator, 30)
        for p in range(procs):
            count = workers // procs + (1 if p < workers % procs else 0)
            children.append(
                _start(
                    [__file__, "--simulate", str(count), "--address", address, "--tag", f"p{p}"],
                    logs / f"sim-{workers}-{p}.log",
                    token,
                )
            )
        async with ControlClient(address, token) as client:
            await client.wait_for_workers(workers, timeout_s=60)
            text = (ROOT / "scenarios" / "transfer_baseline.yaml").read_text()
            run = await client.distribute(
                DistributeRequest(text, bots=workers, plan_duration_s=3600, start_delay_s=0.5)
            )
            await asyncio.sleep(3.0)  # every worker assigned and sending, caches warm
            before = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            cpu = psutil.Process(coordinator.pid)
            t0, cpu0 = time.monotonic(), sum(cpu.cpu_times()[:2])
            await asyncio.sleep(seconds)
            used = sum(cpu.cpu_times()[:2]) - cpu0
            elapsed = time.monotonic() - t0
            after = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            await client.stop_run(run.run_id, "bench over")
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=10)
    merged_per_s = (after - before) / VALUES / KEYS / elapsed  # deltas merged per second
    return {"cpu": used / elapsed, "deltas_per_s": merged_per_s}


async def drive(levels: list[int], procs: int, seconds: float) -> None:
    pool = delta_pool(seed=1)
    naive_us = naive_us_per_histogram(pool)
    ingest_us, fold_us = ingest_us_per_histogram(pool)
    print(f"per histogram, in this process: naive decode+add {naive_us:.1f} µs (the peer);")
    print(f"  RunMetrics.ingest (parse + decode + check) {ingest_us:.1f} µs, and its deferred")
    print(f"  addition {fold_us:.1f} µs, paid only when a query or a scrape needs the histograms")
    print(f"{'workers':>8} {'deltas/s':>9} {'coord CPU':>10} {'naive merge':>12} {'ratio':>6}")
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-coordinator-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    for workers in levels:
        got = await _level(workers, procs, seconds, logs)
        naive = workers * 2 * KEYS * naive_us / 1e6  # one delta per worker per second
        print(
            f"{workers:>8} {got['deltas_per_s']:>9.1f} {got['cpu']:>9.1%} {naive:>11.1%} "
            f"{got['cpu'] / naive:>6.2f}"
        )
    print("target: 200 workers under 25.0% of one core; ratio = coordinator CPU / naive merge")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="50,100,200", help="levels, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--procs", type=int, default=2, help="processes of simulated workers")
    parser.add_argument("--simulate", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="sim", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulate:
        asyncio.run(simulate(args.address, os.environ["TESTBOTS_TOKEN"], args.simulate, args.tag))
        return
    levels = [int(n) for n in args.workers.split(",")]
    asyncio.run(drive(levels, args.procs, args.seconds))


if __name__ == "__main__":
    main()
