"""Leaks and drift over a soak (SCENARIOS.md L9 C3): what the run's processes hold, sampled
from outside the bots, and the figures a verdict reads from those samples.

Every second of the plan (plus 50 ms, as the chain heights are read) the runner records:

- `fleet.rss_bytes{process}`, `fleet.fds{process}`: resident memory and open file descriptors
  of every fleet process (the embedded coordinator and each worker; the runner itself when the
  bots run in it), read with psutil;
and reads simnet's own figures (`sim.rss`, `sim.fds`, `sim.committed_txs`) from the samples
`_server_samples.py` records.

`soak_figures` reduces them for a size with `soak:` windows. A leak grows for good while noise
comes and goes, so growth is the lowest sample of the last stretch of the load over the
highest of the first stretch after the warm-up (each stretch a tenth of the time between,
at least 3 s): a process that only breathes shows none.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import psutil

from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import RunPlan
from botruntime.runs._hold_stages import hold_stages, stage_intervals
from botruntime.scenario import SoakWindows

__all__ = ["FleetProcess", "follow_processes", "soak_figures"]

_READ_AFTER_S: Final = 0.05
_READ_TIMEOUT_S: Final = 0.5
_STRETCH_FRACTION: Final = 0.1
_MIN_STRETCH_S: Final = 3.0
_BLOCK_RATE_SAMPLES: Final = 5  # seconds of commits that say what one block takes at the trough


@dataclass(frozen=True, slots=True)
class FleetProcess:
    """One process of the fleet to sample: its label in the metrics and its PID."""

    name: str
    pid: int
    create_time: float  # as psutil reports it: a reused PID is not sampled


def _open(process: FleetProcess) -> psutil.Process | None:
    try:
        proc = psutil.Process(process.pid)
        return proc if abs(proc.create_time() - process.create_time) < 1e-3 else None
    except psutil.Error:
        return None


async def follow_processes(
    fleet: Sequence[FleetProcess],
    recorder: Recorder,
    start_ts: float,
    *,
    every_s: float = 1.0,
) -> None:
    """Record the fleet's memory and descriptors every `every_s` from plan offset 0
    (`start_ts` on `time.perf_counter()`) until cancelled. A process gone records nothing for
    that second."""
    procs = [(p.name, _open(p)) for p in fleet]
    rss = {name: recorder.gauge("fleet.rss_bytes", process=name) for name, _ in procs}
    fds = {name: recorder.gauge("fleet.fds", process=name) for name, _ in procs}
    tick = 0
    while True:
        now_s = time.perf_counter() - start_ts
        tick = max(tick, math.ceil((now_s - _READ_AFTER_S) / every_s))
        await asyncio.sleep(max(tick * every_s + _READ_AFTER_S - now_s, 0.0))
        for name, proc in procs:
            if proc is None:
                continue
            try:
                rss[name].set(float(proc.memory_info().rss))
                fds[name].set(float(proc.num_fds()))
            except psutil.Error:
                continue
        tick += 1


# ---- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stretches:
    """The first stretch after the warm-up and the last of the load, in intervals."""

    first: range
    last: range


def _stretches(windows: SoakWindows, load_end_s: float, step_s: float) -> _Stretches | None:
    span_s = load_end_s - windows.warmup_s
    width_s = max(_MIN_STRETCH_S, span_s * _STRETCH_FRACTION)
    if span_s < 2 * width_s:
        return None
    start = math.ceil(windows.warmup_s / step_s - 1e-9)
    stop = math.floor(load_end_s / step_s + 1e-9)
    width = max(1, round(width_s / step_s))
    return _Stretches(range(start, start + width), range(stop - width, stop))


def _samples(
    metrics: RunMetrics, name: str, labels: dict[str, str] | None = None
) -> list[tuple[int, float]]:
    """A gauge's samples per interval; none for a gauge never recorded."""
    return metrics.series(name, labels) if metrics.keys(name) else []


def _within(series: list[tuple[int, float]], window: range) -> list[float]:
    return [value for i, value in series if i in window]


def _growth(
    metrics: RunMetrics, name: str, stretches: _Stretches, *, relative: bool
) -> tuple[float | None, str]:
    """The largest growth of one series of `name`: last stretch's lowest minus (or over) the
    first stretch's highest; None, with the reason, when a stretch has no sample."""
    worst: float | None = None
    for key in metrics.keys(name):
        series = metrics.series(name, key.label_dict())
        first, last = _within(series, stretches.first), _within(series, stretches.last)
        if not first or not last:
            return None, f"{name}{key.label_dict() or ''} was not sampled in both stretches"
        base, end = max(first), min(last)
        growth = (end / base - 1.0 if base else math.inf) if relative else end - base
        worst = growth if worst is None else max(worst, growth)
    if worst is None:
        return None, f"no {name} was sampled during the run"
    return worst, ""


def _drift(
    metrics: RunMetrics, name: str, labels: dict[str, str], q: float, first: range, last: range
) -> tuple[float | None, str]:
    """The q-quantile of `name` in the `last` intervals over the one in the `first`."""
    early = metrics.quantile_s(name, labels or None, q, first)
    late = metrics.quantile_s(name, labels or None, q, last)
    if not early or late is None:
        return None, f"{name}{labels or ''} has no sample in the first or the last hold stage"
    return late / early, ""


def _load_end_s(plan: RunPlan) -> float:
    """Where the last hold stage of the run ends (a closed loop's sessions included)."""
    return max((end for _, end in hold_stages(plan)), default=0.0)


def soak_figures(
    plan: RunPlan, metrics: RunMetrics, block_time_s: float
) -> tuple[dict[str, float], dict[str, str]]:
    """(figures, why each missing one is missing) for a size with `soak:` windows; nothing
    for a size without."""
    windows = plan.size.soak
    if windows is None:
        return {}, {}
    figures: dict[str, float] = {}
    absent: dict[str, str] = {}

    def put(name: str, found: tuple[float | None, str]) -> None:
        if found[0] is None:
            absent[name] = found[1]
        else:
            figures[name] = found[0]

    step_s = metrics.interval_s
    stretches = _stretches(windows, _load_end_s(plan), step_s)
    if stretches is None:
        why = f"the load ends too soon after the warm-up ({windows.warmup_s:g} s) to compare"
        for name in ("fleet.rss_growth", "fleet.fds_growth", "sim.fds_growth", "sim.bytes_per_tx"):
            absent[name] = why
    else:
        put("fleet.rss_growth", _growth(metrics, "fleet.rss_bytes", stretches, relative=True))
        put("fleet.fds_growth", _growth(metrics, "fleet.fds", stretches, relative=False))
        put("sim.fds_growth", _growth(metrics, "sim.fds", stretches, relative=False))
        put("sim.bytes_per_tx", _bytes_per_tx(metrics, stretches))
    holds = [span for span in hold_stages(plan) if span[0] >= windows.warmup_s - 1e-9]
    if holds:
        first = stage_intervals(min(holds), step_s)
        last = stage_intervals(max(holds), step_s)
        put("chain.commit_p99_drift", _drift(metrics, "lat.commit", {}, 0.99, first, last))
        # the median: a page served from an index takes the same time on a longer chain, and
        # the median is not moved by the few reads a busy machine delays
        put(
            "chain.history_p50_drift",
            _drift(metrics, "lat.query", {"endpoint": "txs_of"}, 0.5, first, last),
        )
    else:
        for name in ("chain.commit_p99_drift", "chain.history_p50_drift"):
            absent[name] = f"no hold stage starts after the warm-up ({windows.warmup_s:g} s)"
    if windows.trough_end_s is not None:
        put(
            "mempool.trough_backlog",
            _trough_backlog(metrics, windows.trough_end_s, block_time_s),
        )
    return figures, absent


def _bytes_per_tx(metrics: RunMetrics, stretches: _Stretches) -> tuple[float | None, str]:
    rss = _samples(metrics, "sim.rss")
    committed = _samples(metrics, "sim.committed_txs")
    rss_first, rss_last = _within(rss, stretches.first), _within(rss, stretches.last)
    txs_first, txs_last = _within(committed, stretches.first), _within(committed, stretches.last)
    if not (rss_first and rss_last and txs_first and txs_last):
        return None, "simnet's RSS or committed txs were not sampled in both stretches"
    txs = min(txs_last) - max(txs_first)
    if txs <= 0:
        return None, "simnet committed no tx between the stretches"
    return max(0.0, min(rss_last) - max(rss_first)) / txs, ""


def _trough_backlog(
    metrics: RunMetrics, offset_s: float, block_time_s: float
) -> tuple[float | None, str]:
    """The txs the fullest node mempool held at the end of the trough (its last sample at or
    before `offset_s`) beyond one block's worth of what simnet committed just before."""
    last = math.floor((offset_s - _READ_AFTER_S) / metrics.interval_s)
    sizes: list[float] = []
    for key in metrics.keys("mempool.size"):
        before = [(i, v) for i, v in metrics.series("mempool.size", key.label_dict()) if i <= last]
        if before:
            sizes.append(before[-1][1])
    committed = [(i, v) for i, v in _samples(metrics, "sim.committed_txs") if i <= last]
    if not sizes or len(committed) < 2:
        return None, f"no mempool or committed txs were sampled before {offset_s:g} s"
    (i0, c0), (i1, c1) = committed[max(0, len(committed) - 1 - _BLOCK_RATE_SAMPLES)], committed[-1]
    per_block = (c1 - c0) / ((i1 - i0) * metrics.interval_s) * block_time_s if i1 > i0 else 0.0
    return max(0.0, max(sizes) - per_block), ""
