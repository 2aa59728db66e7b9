"""The coordinator under 50, 100 and 200 workers, and through a long run at 50 workers.

Each part starts a real `testbots coordinator` process and simulated workers, many per
process, over real gRPC: each registers (capacity 1 bot), opens its Session, takes its one-bot
assignment of a run, then sends a heartbeat every second and one metric delta per interval of
20 metric keys, two histograms per key (a `Timer`'s latency and service time, as the fleet
records them), each worker from its own values. Intervals follow the plan's start, as an
`IntervalPump` does.

CPU levels: the coordinator's CPU, read with psutil on its PID over the measured window, next
to its peer measured here on the same histograms, the naive merge (`HdrHistogram.decode` and
`add` per histogram) scaled to the level's histograms per second. Target: 200 workers under
25 % of one core.

Long run: 50 workers for `--minutes` of intervals, sent `--speedup` times faster than real
time (an interval index is only a number to the coordinator: 30 minutes of intervals at
speedup 10 take 3 minutes; `--speedup 1 --minutes 30` is the real-time run). A watcher polls
as `testbots run` does, once a second: the run's status, then its metrics through one
`MetricsFollower` (only the intervals changed since its last answer). Targets: the
coordinator's RSS stays within ±10 % of its minute-5 value to the end, and a poll costs the
same at minute 1 and at the end. One whole fetch at the end (`run_metrics`: every interval)
shows what a poll would cost that asked for the whole run.

The coordinator keeps one merge per interval (MergedIntervals): open intervals in memory,
older ones in a spill file, so its memory does not grow with the deltas or the run's length.
Before it, the coordinator kept every delta and each poll streamed them all.

Measured on 2 cores shared with other work (figures move by a few points from run to run):
50, 100 and 200 workers used 8 %, 14 % and 25-33 % of a core; the coordinator that kept
every delta and merged nothing on arrival, run alternately with it, 7.5 %, 14 % and 23-26 %:
the merge costs about 6 µs more per histogram (one more decode and a dense addition).
Long run, 30 minutes at speedup 10: RSS 97.1 MB at minute 5 and 98.2 MB at the end
(x1.012); a poll took 70 ms at minute 1 and 72.5 ms in the last minute, 10 intervals each
(at speedup 1 a poll carries 1 interval and takes ~19 ms); one whole fetch of the 1,813
intervals took 8.3 s.

Counters added with numpy's vector addition instead of hdrh's per-counter `add_array`, three
alternating rounds against the code before it, load 3-6.5 (medians): a histogram's merge
21.3 -> 17.6 µs; 50 workers 7.8 % -> 6.4 %, 200 workers 26.6 % -> 21.8 % of a core.

    .venv/bin/python bench/coordinator.py [--workers 50,100,200] [--seconds 10] [--procs 2]
        [--long-workers 50] [--minutes 10] [--speedup 10]   # --minutes 0 skips the long run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import psutil
import yaml

from botruntime.cluster import ControlClient, DistributeRequest
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.metrics import HistogramDelta, IntervalDelta, MergedIntervals, Recorder
from botruntime.metrics._hdr import decode, new_histogram
from botruntime.plan import PlanSource, Target

KEYS = 20  # metric keys per delta; a Timer records two histograms per key
VALUES = 50  # values per histogram per interval (one worker's second of one action)
POOL = 8  # distinct deltas a simulated worker cycles through
_CLI = "from botruntime.cli import main; main()"
ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


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


# -- in this process: the peer and the coordinator's own merge, per histogram ------------------


def naive_us_per_histogram(pool: list[tuple[HistogramDelta, ...]], rounds: int = 5) -> float:
    blobs = [h.blob for hs in pool for h in hs] * rounds
    merged = new_histogram()
    t0 = time.process_time()
    for i, blob in enumerate(blobs):
        merged.add(decode(blob, field=f"blob {i}"))
    return (time.process_time() - t0) / len(blobs) * 1e6


def merge_us_per_histogram(workers: int = 50, intervals: int = 12) -> float:
    """MergedIntervals.ingest of whole wire deltas (parse, check, merge into the interval,
    encode and spill when it seals), per histogram, `workers` sources per interval."""
    pools = [delta_pool(seed=w) for w in range(workers)]
    payloads = [
        IntervalDelta(f"w{w}", i, histograms=pools[w][i % POOL]).to_bytes()
        for i in range(intervals)
        for w in range(workers)
    ]
    store = MergedIntervals()
    t0 = time.process_time()
    for payload in payloads:
        store.ingest(IntervalDelta.from_bytes(payload))
    store.seal_all()
    used = time.process_time() - t0
    assert store.count("lat.submit") == workers * intervals * KEYS * VALUES
    store.close()
    return used / (len(payloads) * 2 * KEYS) * 1e6


# -- simulated workers (run in child processes) -----------------------------------------------


async def _sim_worker(stub: Any, token: str, name: str, speedup: float) -> None:
    """Register, then beat every second and send interval k at start + (k + 1) / speedup."""
    pool = delta_pool(seed=zlib.crc32(name.encode()))
    meta = (("x-testbots-token", token),)
    for attempt in range(10):  # a starved machine answers late: one worker's timeout must
        try:  # not end the other simulated workers of its process
            reply = await stub.RegisterWorker(
                pb.RegisterWorkerRequest(name=name, capacity_bots=1, version="bench"),
                metadata=meta,
                timeout=30.0,
            )
            break
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED or attempt == 9:
                raise
    call = stub.Session(metadata=meta)
    await call.write(
        pb.WorkerMessage(
            hello=pb.SessionHello(worker_id=reply.worker_id, session_key=reply.session_key)
        )
    )
    started: asyncio.Future[pb.StartPlan] = asyncio.get_running_loop().create_future()
    writing = asyncio.Lock()  # a stream takes one write at a time

    async def write(message: pb.WorkerMessage) -> None:
        async with writing:
            await call.write(message)

    async def read() -> None:
        async for message in call:
            if message.WhichOneof("kind") == "start" and not started.done():
                started.set_result(message.start)

    async def beat() -> None:
        due, seq = time.monotonic() + random.random(), 0  # workers do not beat in lockstep
        while True:
            await asyncio.sleep(max(due - time.monotonic(), 0.001))
            seq += 1
            now_us = int(time.time() * 1e6)
            await write(pb.WorkerMessage(heartbeat=pb.Heartbeat(seq=seq, sent_at_unix_us=now_us)))
            due += 1.0

    async with asyncio.TaskGroup() as tg:
        reader = tg.create_task(read(), name=f"{name}-in")
        beats = tg.create_task(beat(), name=f"{name}-beat")
        start = await started
        start_s = start.start_at_unix_us / 1e6
        interval = max(0, int((time.time() - start_s) * speedup))
        seq = 0
        while not reader.done():
            due_s = start_s + (interval + 1) / speedup
            await asyncio.sleep(max(due_s - time.time(), 0.001))
            histograms = pool[interval % POOL]
            payload = IntervalDelta(start.assignment_id, interval, histograms=histograms).to_bytes()
            delta = pb.MetricDelta(
                run_id=start.run_id, assignment_id=start.assignment_id, seq=seq, payload=payload
            )
            await write(pb.WorkerMessage(delta=delta))
            interval, seq = interval + 1, seq + 1
        beats.cancel()


async def simulate(address: str, token: str, count: int, tag: str, speedup: float) -> None:
    channels = [grpc.aio.insecure_channel(address) for _ in range(count)]
    try:
        async with asyncio.TaskGroup() as tg:
            for i, channel in enumerate(channels):
                stub = pb_grpc.BotOrchestrationStub(channel)  # type: ignore[no-untyped-call]
                tg.create_task(_sim_worker(stub, token, f"{tag}-{i}", speedup), name=f"w{i}")
    finally:
        for channel in channels:
            await channel.close()


# -- the driver --------------------------------------------------------------------------------


def _source(workers: int) -> PlanSource:
    """transfer_baseline with one bot per simulated worker and a 2-hour hold."""
    doc = yaml.safe_load((ROOT / "scenarios" / "transfer_baseline.yaml").read_text())
    size = doc["sizes"]["default"]
    size["bots"] = workers
    size["load"]["general_user"]["stages"] = [{"kind": "hold", "seconds": 7200, "rate_per_s": 1}]
    nowhere = ("http://127.0.0.1:9",)  # simulated workers never send a transaction
    return PlanSource(yaml.safe_dump(doc), "default", "", Target(nowhere, nowhere), run_id="")


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


class Cluster:
    """A coordinator process and `workers` simulated workers over `procs` processes."""

    def __init__(self, workers: int, procs: int, speedup: float, logs: Path, tag: str) -> None:
        self.token = secrets.token_hex(16)
        log = logs / f"coordinator-{tag}.log"
        self.coordinator = _start(
            ["-c", _CLI, "coordinator", "--listen=127.0.0.1:0", "--start-delay-s=1"],
            log,
            self.token,
        )
        self.children = [self.coordinator]
        self.address = _wait_for(log, r"coordinator ready on (\S+)", self.coordinator, 30)
        for p in range(procs):
            count = workers // procs + (1 if p < workers % procs else 0)
            args = ["--simulate", str(count), "--address", self.address, "--tag", f"{tag}-p{p}"]
            sim_log = logs / f"sim-{tag}-{p}.log"
            self.children.append(
                _start([__file__, *args, "--speedup", str(speedup)], sim_log, self.token)
            )

    def close(self) -> None:
        for child in reversed(self.children):
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=10)


async def coordinator_level(
    workers: int, procs: int, seconds: float, logs: Path
) -> dict[str, float]:
    """The coordinator's CPU share and deltas merged per second with `workers` workers."""
    cluster = Cluster(workers, procs, 1.0, logs, f"cpu{workers}")
    try:
        async with ControlClient(cluster.address, cluster.token) as client:
            await client.wait_for_workers(workers, timeout_s=120)
            run = await client.distribute(DistributeRequest(_source(workers), start_delay_s=0.5))
            await asyncio.sleep(3.0)  # every worker assigned and sending, caches warm
            before = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            cpu = psutil.Process(cluster.coordinator.pid)
            t0, cpu0 = time.monotonic(), sum(cpu.cpu_times()[:2])
            await asyncio.sleep(seconds)
            used = sum(cpu.cpu_times()[:2]) - cpu0
            elapsed = time.monotonic() - t0
            after = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            await client.stop_run(run.run_id, "bench over")
    finally:
        cluster.close()
    merged_per_s = (after - before) / VALUES / KEYS / elapsed  # deltas merged per second
    return {"cpu": used / elapsed, "deltas_per_s": merged_per_s}


async def coordinator_memory(
    workers: int, minutes: int, speedup: float, logs: Path
) -> list[tuple[int, float]]:
    """The coordinator's RSS (MB) at each minute of a run's intervals, `speedup` times faster
    than real time, with `workers` simulated workers (heartbeats stay at one a second)."""
    cluster = Cluster(workers, 1, speedup, logs, "memory")
    samples: list[tuple[int, float]] = []
    try:
        async with ControlClient(cluster.address, cluster.token, timeout_s=60) as client:
            await client.wait_for_workers(workers, timeout_s=120)
            run = await client.distribute(DistributeRequest(_source(workers), start_delay_s=0.5))
            coordinator = psutil.Process(cluster.coordinator.pid)
            follower = client.follow_metrics(run.run_id)
            start = time.monotonic()
            for minute in range(1, minutes + 1):
                while time.monotonic() < start + minute * 60 / speedup:
                    await client.run_status(run.run_id)  # polled as `testbots run` does
                    await follower.update()
                    await asyncio.sleep(1.0)
                samples.append((minute, coordinator.memory_info().rss / MB))
            await client.stop_run(run.run_id, "bench over")
    finally:
        cluster.close()
    return samples


@dataclass(frozen=True, slots=True)
class Poll:
    minute: float  # of intervals the run had when the poll ended
    seconds: float  # one status and one metrics update, as the watcher saw them
    intervals: int  # how many the metrics update brought
    rss: int  # the coordinator's, after the poll


async def _long_run(workers: int, procs: int, minutes: float, speedup: float, logs: Path) -> None:
    cluster = Cluster(workers, procs, speedup, logs, "long")
    polls: list[Poll] = []
    try:
        async with ControlClient(cluster.address, cluster.token, timeout_s=60) as client:
            await client.wait_for_workers(workers, timeout_s=120)
            run = await client.distribute(DistributeRequest(_source(workers), start_delay_s=0.5))
            coordinator = psutil.Process(cluster.coordinator.pid)
            cpu0, wall0 = sum(coordinator.cpu_times()[:2]), time.monotonic()
            follower = client.follow_metrics(run.run_id)
            end = minutes * 60
            while not polls or polls[-1].minute * 60 < end:
                t0 = time.perf_counter()
                await client.run_status(run.run_id)
                metrics = await follower.update()
                seconds = time.perf_counter() - t0
                rss = coordinator.memory_info().rss
                minute = len(metrics.intervals) / 60
                polls.append(Poll(minute, seconds, follower.received, rss))
                await asyncio.sleep(max(1.0 - seconds, 0.0))
            cpu = (sum(coordinator.cpu_times()[:2]) - cpu0) / (time.monotonic() - wall0)
            t0 = time.perf_counter()
            whole = await client.run_metrics(run.run_id)
            whole_s = time.perf_counter() - t0
            await client.stop_run(run.run_id, "bench over")
    finally:
        cluster.close()
    _report_long(polls, cpu, whole_s, len(whole.intervals), workers, speedup)


def _report_long(
    polls: list[Poll], cpu: float, whole_s: float, whole_n: int, workers: int, speedup: float
) -> None:
    last_minute = polls[-1].minute
    first = [p for p in polls if 0.0 < p.minute <= 1.0] or polls[1:4]
    last = [p for p in polls if p.minute > last_minute - 1.0]
    print(
        f"\nlong run: {workers} workers, {last_minute:.1f} minutes of intervals at speedup "
        f"{speedup:g} ({len(polls)} polls, one a second), coordinator CPU {cpu:.1%}"
    )
    print(f"{'minute':>7} {'RSS MB':>8} {'poll ms':>8} {'intervals/poll':>15}")
    marks = sorted({1, 5, *range(10, int(last_minute) + 1, 5), int(last_minute)})
    shown = {id(next((p for p in polls if p.minute >= m), polls[-1])): m for m in marks}
    for p in polls:
        if id(p) in shown:
            print(f"{p.minute:>7.1f} {p.rss / MB:>8.1f} {p.seconds * 1e3:>8.1f} {p.intervals:>15}")
    start_ms = statistics.median(p.seconds for p in first) * 1e3
    end_ms = statistics.median(p.seconds for p in last) * 1e3
    print(
        f"poll (status + metrics), median: minute 1 {start_ms:.1f} ms, last minute "
        f"{end_ms:.1f} ms: end/start {end_ms / start_ms:.2f}"
    )
    since = [p for p in polls if p.minute >= 5.0] if last_minute > 5.0 else polls[1:]
    ref, at = since[0].rss, f"minute {since[0].minute:.0f}"
    low, high = min(p.rss for p in since) / ref, max(p.rss for p in since) / ref
    print(
        f"coordinator RSS at {at}: {ref / MB:.1f} MB, at the end {polls[-1].rss / MB:.1f} MB: "
        f"end/{at} {polls[-1].rss / ref:.3f}, range {low:.3f}..{high:.3f} "
        "(target from minute 5: within 0.90..1.10)"
    )
    print(
        f"one whole fetch at the end (run_metrics, {whole_n} intervals): {whole_s:.2f} s, "
        "what each poll would cost if it asked for the whole run"
    )


async def drive(args: argparse.Namespace) -> None:
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-coordinator-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    levels = [int(n) for n in args.workers.split(",") if n]
    if levels:
        naive_us = naive_us_per_histogram(delta_pool(seed=1))
        merge_us = merge_us_per_histogram()
        print(f"per histogram, in this process: naive decode+add {naive_us:.1f} µs (the peer);")
        print(f"  MergedIntervals.ingest (parse, check, merge, encode at seal) {merge_us:.1f} µs")
        print(f"{'workers':>8} {'deltas/s':>9} {'coord CPU':>10} {'naive merge':>12} {'ratio':>6}")
    for workers in levels:
        got = await coordinator_level(workers, args.procs, args.seconds, logs)
        naive = workers * 2 * KEYS * naive_us / 1e6  # one delta per worker per second
        print(
            f"{workers:>8} {got['deltas_per_s']:>9.1f} {got['cpu']:>9.1%} {naive:>11.1%} "
            f"{got['cpu'] / naive:>6.2f}"
        )
    if levels:
        print("target: 200 workers under 25.0% of one core; ratio = coordinator CPU / naive merge")
    if args.minutes > 0:
        await _long_run(args.long_workers, args.procs, args.minutes, args.speedup, logs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="50,100,200", help="CPU levels ('' skips them)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--procs", type=int, default=2, help="processes of simulated workers")
    parser.add_argument("--long-workers", type=int, default=50, help="workers of the long run")
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="intervals of the long run, in minutes"
    )
    parser.add_argument(
        "--speedup", type=float, default=10.0, help="long run: intervals per second (1: real)"
    )
    parser.add_argument("--simulate", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="sim", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulate:
        token = os.environ["TESTBOTS_TOKEN"]
        asyncio.run(simulate(args.address, token, args.simulate, args.tag, args.speedup))
        return
    asyncio.run(drive(args))


if __name__ == "__main__":
    main()
