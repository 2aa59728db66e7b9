"""A worker's CPU per interval flush: its recorder's delta as it goes to the coordinator.

Each interval a worker flushes the recorder of every assignment and hands the delta to
`Worker._emit_delta`, which packs it for the coordinator (one `MetricDelta` in the outbox) and
merges it into the worker's own /metrics page. This bench records `--series` timers (a
latency and a service histogram each, as `Intent` records them) with `--values` values per
timer and interval, spread over several magnitudes, and times, in CPU (process_time) summed
over `--intervals` intervals:

- flush: `Recorder.flush` alone;
- emit: `flush` and `_emit_delta` together, the worker's whole cost of an interval's metrics.

The recording itself is outside the timed part. With `--against DIR` (a source tree of
testbots, e.g. `git archive main | tar -x -C DIR`), rounds alternate between that tree and
this one, each in a fresh process with its own PYTHONPATH, and the medians and their ratio
are printed with the load average.

    .venv/bin/python bench/worker_flush.py [--series 20] [--values 200] [--intervals 300]
        [--against DIR --rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent


def measure(series: int, values: int, intervals: int) -> dict[str, float]:
    """µs of CPU per interval: flush alone, then flush + `_emit_delta` (imported here, so a
    child process measures the tree on its PYTHONPATH)."""
    from _emit import WorkerEmit

    from botruntime.metrics import Recorder

    rng = random.Random(7)
    recorder = Recorder("r/a0")
    timers = [recorder.timer("submit", chain="alpha", action=f"act{k}") for k in range(series)]
    # each interval's values: latencies from 100 µs to seconds (lognormal, as a loaded node's)
    samples = [
        [(rng.lognormvariate(-6.0, 1.4), rng.random() * 0.002) for _ in range(values)]
        for _ in range(8)
    ]

    def record(interval: int) -> None:
        for timer in timers:
            for service, wait in samples[(interval + id(timer)) % len(samples)]:
                timer.record(0.0, wait, wait + service)

    emit = WorkerEmit("r/a0")
    flush_s = emit_s = 0.0
    payload = 0
    for interval in range(intervals):
        record(interval)
        started = time.process_time()
        recorder.flush(interval)
        flush_s += time.process_time() - started
    for interval in range(intervals, 2 * intervals):
        record(interval)
        started = time.process_time()
        size = emit(recorder.flush(interval))
        emit_s += time.process_time() - started
        payload += size
    emit.close()
    return {
        "flush_us": flush_s / intervals * 1e6,
        "emit_us": emit_s / intervals * 1e6,
        "payload_b": payload / intervals,
    }


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def _child(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child"]
    command += ["--series", str(args.series), "--values", str(args.values)]
    command += ["--intervals", str(args.intervals)]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, env=env, cwd=tree, capture_output=True, check=True)
    figures: dict[str, float] = orjson.loads(done.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=20, help="timers (2 histograms each)")
    parser.add_argument("--values", type=int, default=200, help="per timer and interval")
    parser.add_argument("--intervals", type=int, default=300)
    parser.add_argument("--against", type=Path, help="a testbots source tree to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.stdout.buffer.write(orjson.dumps(measure(args.series, args.values, args.intervals)))
        print()
        return
    print(
        f"{args.series} timers x 2 histograms, {args.values} values each per interval, "
        f"{args.intervals} intervals per figure ({load_average()})",
        flush=True,
    )
    if args.against is None:
        f = measure(args.series, args.values, args.intervals)
        print(
            f"  flush {f['flush_us']:,.0f} µs, flush + emit {f['emit_us']:,.0f} µs CPU per "
            f"interval; {f['payload_b']:,.0f} B packed"
        )
        return
    trees = {"base": args.against.resolve(), "this": HERE.parent}
    found: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for k in range(args.rounds):
        order = list(trees) if k % 2 == 0 else list(reversed(trees))
        for name in order:
            f = _child(trees[name], args)
            found[name].append(f)
            print(
                f"  round {k + 1} {name}: flush {f['flush_us']:,.0f} µs, flush + emit "
                f"{f['emit_us']:,.0f} µs, {f['payload_b']:,.0f} B ({load_average()})",
                flush=True,
            )
    medians = {
        name: {key: statistics.median(f[key] for f in runs) for key in runs[0]}
        for name, runs in found.items()
    }
    for name, m in medians.items():
        print(
            f"{name} ({trees[name]}): median flush {m['flush_us']:,.0f} µs, flush + emit "
            f"{m['emit_us']:,.0f} µs CPU per interval, {m['payload_b']:,.0f} B packed"
        )
    base, this = medians["base"], medians["this"]
    print(
        f"this / base: flush {this['flush_us'] / base['flush_us']:.3f}, flush + emit "
        f"{this['emit_us'] / base['emit_us']:.3f}; payload "
        f"{this['payload_b'] / base['payload_b']:.3f} ({load_average()})"
    )


if __name__ == "__main__":
    main()
