"""The coordinator under 10 to 1,000 workers, and through a long run at 50 workers.

Each part starts a real `testbots coordinator` process and simulated workers, up to 500 per
process over a gRPC channel per 50, over real gRPC: each registers (capacity 1 bot, cluster
protocol `CLUSTER_PROTOCOL`), opens its Session, takes its one-bot assignment of a run, then
sends a heartbeat every second and one metric delta per interval of 20 metric keys, two
histograms per key (a `Timer`'s latency and service time, as the fleet records them).
Intervals follow the plan's start, as an `IntervalPump` does. The simulation is kept cheap
so that the coordinator is what is measured: a process packs `POOL` deltas once and resends
their compressed bodies under each worker's own source and interval (`pack_body`), and one
writer task per process sends every worker's heartbeats and deltas (no task per worker
but its Session reader). The simulated workers' own CPU is printed with each level.

CPU levels: the coordinator's CPU, read with psutil on its PID over the measured window, next
to its peer measured here on the same histograms, the naive merge (`HdrHistogram.decode` and
`add` per histogram) scaled to the level's histograms per second. Target: 1,000 workers under
50 % of one core (<= 0.5 ms of coordinator CPU per worker-second). `--peer-root DIR` (a
`git archive` of the code before cluster protocol 2) adds an A/B: that checkout's
coordinator, fed JSON deltas (made from a template, as cheaply), alternating with this one's,
`--rounds` rounds per level.

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

Packed deltas (cluster protocol 2: one zlib payload of sparse counters per delta, folded into
the interval with one `np.bincount`), A/B against the code before it (JSON deltas, a blob per
histogram), 3 alternating rounds per level, medians, load 5.8 -> 14.3 (others' work): 10, 50,
200 workers 1.7 -> 1.5 %, 5.7 -> 3.2 %, 19.4 -> 10.7 % of a core, i.e. 0.97 -> 0.54 ms of
coordinator CPU per worker-second at 200; at 1,000 the code before merged only 708 of the
1,000 deltas a second on 57 % of a core (0.81 ms per delta), ours all of them on 43-51 %
(0.42-0.51 ms per worker-second, six runs, load 3-14). A few rounds of either lost workers to
the machine's load (their heartbeats came late) and were not counted. In process, per delta
of 40 histograms at 1,000 workers: unpack and merge 136-138 µs, the JSON path of the code
before it 585-614 µs (payload 3.8 KB, was 11.9 KB).
The simulated workers used 1.4, 2.7, 8.1 and 33-37 % of a core at 10, 50, 200 and 1,000.

    .venv/bin/python bench/coordinator.py [--workers 50,100,200] [--seconds 10] [--procs 2]
        [--long-workers 50] [--minutes 10] [--speedup 10]   # --minutes 0 skips the long run
        [--peer-root DIR --rounds 3]   # A/B: DIR from `git archive <commit> | tar -x -C DIR`
"""

from __future__ import annotations

import argparse
import asyncio
import math
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
from _measure import load_span

from botruntime.cluster import CLUSTER_PROTOCOL, ClusterError, ControlClient, DistributeRequest
from botruntime.cluster._pb import orchestration_pb2 as pb
from botruntime.cluster._pb import orchestration_pb2_grpc as pb_grpc
from botruntime.metrics import (
    DeltaPacker,
    DeltaUnpacker,
    HistogramDelta,
    IntervalDelta,
    MergedIntervals,
    Recorder,
)
from botruntime.metrics._hdr import decode, new_histogram
from botruntime.metrics._packed import pack_body
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
    """What the coordinator does with each packed delta a worker sends (unpack and check,
    merge into the interval, encode and spill when it seals), per histogram, `workers`
    sources per interval."""
    pools = [delta_pool(seed=w) for w in range(workers)]
    packer, unpacker = DeltaPacker(), DeltaUnpacker()
    payloads = [
        packer.pack(IntervalDelta(f"w{w}", i, histograms=pools[w][i % POOL]))
        for i in range(intervals)
        for w in range(workers)
    ]
    store = MergedIntervals()
    t0 = time.process_time()
    for payload in payloads:
        store.ingest_packed(unpacker.unpack(payload))
    store.seal_all()
    used = time.process_time() - t0
    assert store.count("lat.submit") == workers * intervals * KEYS * VALUES
    store.close()
    return used / (len(payloads) * 2 * KEYS) * 1e6


# -- simulated workers (run in child processes) -----------------------------------------------

WORKERS_PER_CHANNEL = 50  # simulated workers share channels (HTTP/2 streams of one connection)
REGISTERING = 20  # registrations in flight per process of simulated workers


@dataclass(slots=True)
class _SimWorker:
    name: str
    call: Any = None  # its Session stream
    started: pb.StartPlan | None = None
    seq: int = 0  # of its next MetricDelta
    beats: int = 0
    ended: bool = False


_SOURCE, _INTERVAL = "@source@", 987_654_321  # placeholders of a JSON template


class Payloads:
    """`POOL` deltas made once, resent by every simulated worker of a process under its own
    source and interval, so what a delta costs the simulation is a header: packed (`pack_body`
    on a pre-compressed body), or, for a coordinator of cluster protocol 1 (the A/B against
    the code before it), the JSON form with its source and interval put in a template."""

    def __init__(self, seed: int, wire: str) -> None:
        pool = delta_pool(seed)
        self.wire = wire
        if wire == "packed":
            packer = DeltaPacker()
            self.bodies = [
                packer.packed(IntervalDelta("pool", i, histograms=hs)).body()
                for i, hs in enumerate(pool)
            ]
        elif wire == "json":
            self.bodies = [
                IntervalDelta(_SOURCE, _INTERVAL, histograms=hs).to_bytes() for hs in pool
            ]
        else:
            raise SystemExit(f"--wire {wire!r}: choose packed or json")

    def payload(self, k: int, source: str, interval: int) -> bytes:
        body = self.bodies[k % len(self.bodies)]
        if self.wire == "packed":
            return pack_body(source, interval, body)
        return body.replace(b'"%s"' % _SOURCE.encode(), b'"%s"' % source.encode(), 1).replace(
            b"%d" % _INTERVAL, b"%d" % interval, 1
        )


async def _register(stub: Any, meta: Any, worker: _SimWorker) -> None:
    for attempt in range(10):  # a starved machine answers late: one worker's timeout must
        try:  # not end the other simulated workers of its process
            reply = await stub.RegisterWorker(
                pb.RegisterWorkerRequest(
                    name=worker.name, capacity_bots=1, version="bench", protocol=CLUSTER_PROTOCOL
                ),
                metadata=meta,
                timeout=30.0,
            )
            break
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.DEADLINE_EXCEEDED or attempt == 9:
                raise
    call = stub.Session(metadata=meta)
    hello = pb.SessionHello(worker_id=reply.worker_id, session_key=reply.session_key)
    await call.write(pb.WorkerMessage(hello=hello))
    worker.call = call  # from here on the writer beats for it


async def _join(stub: Any, meta: Any, worker: _SimWorker, gate: asyncio.Semaphore) -> None:
    """Register (a few at a time: a storm of registrations would delay the heartbeats of the
    workers registered first past their lease), then read the Session until it ends."""
    async with gate:
        await _register(stub, meta, worker)
    async for message in worker.call:
        if message.WhichOneof("kind") == "start" and worker.started is None:
            worker.started = message.start
    worker.ended = True


async def simulate(
    address: str, token: str, count: int, tag: str, speedup: float, wire: str
) -> None:
    """`count` workers in this process: each registers and opens its Session; then one loop
    writes every worker's heartbeat each second and each started worker's delta of interval k
    at start + (k + 1) / speedup, as an `IntervalPump` does. One writer per process, so no
    stream is written twice at once; the deltas are pre-packed bodies under each worker's
    own source and interval."""
    payloads = Payloads(zlib.crc32(tag.encode()), wire)
    meta = (("x-testbots-token", token),)
    channels = [grpc.aio.insecure_channel(address) for _ in range(-(-count // WORKERS_PER_CHANNEL))]
    stubs = [pb_grpc.BotOrchestrationStub(c) for c in channels]  # type: ignore[no-untyped-call]
    workers = [_SimWorker(f"{tag}-{i}") for i in range(count)]
    try:
        gate = asyncio.Semaphore(REGISTERING)
        async with asyncio.TaskGroup() as tg:
            for i, w in enumerate(workers):
                stub = stubs[i // WORKERS_PER_CHANNEL]
                tg.create_task(_join(stub, meta, w, gate), name=w.name)
            tg.create_task(_write(workers, payloads, speedup), name="writer")
    finally:
        for channel in channels:
            await channel.close()


async def _send(worker: _SimWorker, message: pb.WorkerMessage) -> None:
    try:
        await worker.call.write(message)
    except (grpc.aio.AioRpcError, grpc.aio.UsageError, asyncio.InvalidStateError):
        worker.ended = True  # its Session ended (the reader says why): the others go on


async def _write(
    workers: list[_SimWorker],
    payloads: Payloads,
    speedup: float,
) -> None:
    next_beat = time.monotonic()
    intervals: dict[str, int] = {}  # assignment -> its next interval
    while not all(w.ended for w in workers):
        now = time.monotonic()
        if now >= next_beat:
            now_us = int(time.time() * 1e6)
            for w in workers:
                if w.call is None or w.ended:
                    continue
                w.beats += 1
                beat = pb.Heartbeat(seq=w.beats, sent_at_unix_us=now_us)
                await _send(w, pb.WorkerMessage(heartbeat=beat))
            next_beat += 1.0
        wall, due_s = time.time(), math.inf
        for i, w in enumerate(workers):
            start = w.started
            if start is None or w.ended:
                continue
            start_s = start.start_at_unix_us / 1e6
            interval = intervals.get(start.assignment_id)
            if interval is None:  # joins at the interval the plan is in
                interval = max(0, int((wall - start_s) * speedup))
            while start_s + (interval + 1) / speedup <= wall:
                delta = pb.MetricDelta(
                    run_id=start.run_id,
                    assignment_id=start.assignment_id,
                    seq=w.seq,
                    payload=payloads.payload(i + interval, start.assignment_id, interval),
                )
                await _send(w, pb.WorkerMessage(delta=delta))
                interval, w.seq = interval + 1, w.seq + 1
            intervals[start.assignment_id] = interval
            due_s = min(due_s, start_s + (interval + 1) / speedup)
        wait = min(next_beat - time.monotonic(), due_s - time.time(), 0.05)
        await asyncio.sleep(max(wait, 0.001))


# -- the driver --------------------------------------------------------------------------------


def _source(workers: int) -> PlanSource:
    """transfer_baseline with one bot per simulated worker and a 2-hour hold."""
    doc = yaml.safe_load((ROOT / "scenarios" / "transfer_baseline.yaml").read_text())
    size = doc["sizes"]["default"]
    size["bots"] = workers
    size["load"]["general_user"]["stages"] = [{"kind": "hold", "seconds": 7200, "rate_per_s": 1}]
    nowhere = ("http://127.0.0.1:9",)  # simulated workers never send a transaction
    return PlanSource(yaml.safe_dump(doc), "default", "", Target(nowhere, nowhere), run_id="")


def _start(
    args: list[str], log: Path, token: str, root: str | None = None
) -> subprocess.Popen[bytes]:
    """A child process; `root`: the testbots checkout it imports (PYTHONPATH), if not ours."""
    env = {**os.environ, "TESTBOTS_TOKEN": token}
    if root is not None:
        env["PYTHONPATH"] = root
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=root,
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


@dataclass(frozen=True, slots=True)
class Peer:
    """Which coordinator to measure: this checkout's (packed deltas), or another checkout's
    (`root`, e.g. an export of main) with the wire form it reads."""

    root: str | None = None
    wire: str = "packed"


class Cluster:
    """A coordinator process and `workers` simulated workers over `procs` processes."""

    def __init__(
        self, workers: int, procs: int, speedup: float, logs: Path, tag: str, peer: Peer = Peer()
    ) -> None:
        self.token = secrets.token_hex(16)
        log = logs / f"coordinator-{tag}.log"
        self.coordinator = _start(
            ["-c", _CLI, "coordinator", "--listen=127.0.0.1:0", "--start-delay-s=1"],
            log,
            self.token,
            peer.root,
        )
        self.children = [self.coordinator]
        self.address = _wait_for(log, r"coordinator ready on (\S+)", self.coordinator, 30)
        for p in range(procs):
            count = workers // procs + (1 if p < workers % procs else 0)
            args = ["--simulate", str(count), "--address", self.address, "--tag", f"{tag}-p{p}"]
            args += ["--wire", peer.wire]
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
    workers: int, procs: int, seconds: float, logs: Path, peer: Peer = Peer()
) -> dict[str, float]:
    """The coordinator's CPU share and deltas merged per second with `workers` workers, and
    the simulated workers' own CPU (all their processes)."""
    cluster = Cluster(workers, procs, 1.0, logs, f"cpu{workers}", peer)
    try:
        async with ControlClient(cluster.address, cluster.token) as client:
            await client.wait_for_workers(workers, timeout_s=120)
            run = await client.distribute(DistributeRequest(_source(workers), start_delay_s=0.5))
            await asyncio.sleep(3.0)  # every worker assigned and sending, caches warm
            before = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            cpu = psutil.Process(cluster.coordinator.pid)
            sims = [psutil.Process(child.pid) for child in cluster.children[1:]]
            t0, cpu0 = time.monotonic(), sum(cpu.cpu_times()[:2])
            sim0 = sum(sum(p.cpu_times()[:2]) for p in sims)
            await asyncio.sleep(seconds)
            used = sum(cpu.cpu_times()[:2]) - cpu0
            sim_used = sum(sum(p.cpu_times()[:2]) for p in sims) - sim0
            elapsed = time.monotonic() - t0
            after = (await client.run_status(run.run_id)).counters.get("lat.submit", 0)
            await client.stop_run(run.run_id, "bench over")
    finally:
        cluster.close()
    merged_per_s = (after - before) / VALUES / KEYS / elapsed  # deltas merged per second
    return {"cpu": used / elapsed, "deltas_per_s": merged_per_s, "sim_cpu": sim_used / elapsed}


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
    if args.peer_root and levels:
        await _a_b(levels, args, logs)
    if args.minutes > 0:
        await _long_run(args.long_workers, args.procs, args.minutes, args.speedup, logs)


async def _a_b(levels: list[int], args: argparse.Namespace, logs: Path) -> None:
    """This checkout's coordinator against another's (`--peer-root`, cluster protocol 1: JSON
    deltas), alternating, `--rounds` rounds per level, the same simulated workers."""
    ours, theirs = Peer(), Peer(args.peer_root, "json")
    before = os.getloadavg()
    print(f"\nA/B, {args.rounds} alternating rounds per level (medians):")
    print(
        f"{'workers':>8} {'peer CPU':>9} {'ours CPU':>9} {'peer ms/w-s':>12} {'ours ms/w-s':>12} "
        f"{'ours/peer':>10} {'deltas/s peer, ours':>20} {'sim CPU (ours)':>15}"
    )
    for workers in levels:
        got: dict[str, list[dict[str, float]]] = {"peer": [], "ours": []}
        for _ in range(args.rounds):
            for name, peer in (("peer", theirs), ("ours", ours)):
                try:
                    level = await coordinator_level(workers, args.procs, args.seconds, logs, peer)
                except ClusterError as exc:  # e.g. a coordinator too slow to renew leases
                    print(f"{workers:>8} {name}: not measured: {exc}")
                    continue
                got[name].append(level)
        if not got["peer"] or not got["ours"]:
            continue
        peer_cpu, our_cpu, peer_rate, our_rate, sim_cpu = (
            statistics.median(g[field] for g in got[name])
            for name, field in (
                ("peer", "cpu"),
                ("ours", "cpu"),
                ("peer", "deltas_per_s"),
                ("ours", "deltas_per_s"),
                ("ours", "sim_cpu"),
            )
        )
        print(
            f"{workers:>8} {peer_cpu:>9.1%} {our_cpu:>9.1%} {peer_cpu / workers * 1e3:>12.3f} "
            f"{our_cpu / workers * 1e3:>12.3f} {our_cpu / peer_cpu:>10.2f} "
            f"{f'{peer_rate:.0f}, {our_rate:.0f}':>20} {sim_cpu:>15.1%}"
        )
    print(f"ms/w-s: ms of coordinator CPU per worker-second; {load_span(before)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", default="50,100,200", help="CPU levels ('' skips them)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per level")
    parser.add_argument("--procs", type=int, default=2, help="processes of simulated workers")
    parser.add_argument("--long-workers", type=int, default=50, help="workers of the long run")
    parser.add_argument(
        "--peer-root",
        default="",
        help="A/B: another testbots checkout (cluster protocol 1, e.g. `git archive` of main)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="A/B: alternating rounds")
    parser.add_argument(
        "--minutes", type=float, default=10.0, help="intervals of the long run, in minutes"
    )
    parser.add_argument(
        "--speedup", type=float, default=10.0, help="long run: intervals per second (1: real)"
    )
    parser.add_argument("--simulate", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--address", default="", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="sim", help=argparse.SUPPRESS)
    parser.add_argument("--wire", default="packed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.simulate:
        token = os.environ["TESTBOTS_TOKEN"]
        asyncio.run(simulate(args.address, token, args.simulate, args.tag, args.speedup, args.wire))
        return
    asyncio.run(drive(args))


if __name__ == "__main__":
    main()
