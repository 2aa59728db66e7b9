"""How full each node's mempool was, sampled every second of the run (SCENARIOS.md §1.3).

The runner reads `GET /mempool/stats` of every node of the target at every whole second of
the plan (plus 50 ms, as the chain heights are read) and records the gauges
`mempool.size{chain,node}` (txs held) and `mempool.cap{chain,node}` (the node's `max_txs`).
A node whose stats do not answer records nothing for that second. `fill_max` and
`drained_after` read the samples back: how close a mempool came to its cap, and when every
mempool had emptied after a given offset.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence

import httpx

from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import Target
from botruntime.runs._hold_stages import Figure

__all__ = ["drained_after", "fill_max", "follow_mempools"]

_READ_AFTER_S = 0.05
_READ_TIMEOUT_S = 0.5


def _nodes(target: Target) -> list[tuple[str, str, str]]:
    """(chain, node label, URL) of every node of the target."""
    return [
        (chain, str(i), url)
        for chain, urls in (("alpha", target.alpha), ("delta", target.delta))
        for i, url in enumerate(urls)
    ]


async def _stats(http: httpx.AsyncClient, url: str) -> tuple[int, int] | None:
    try:
        answer = (await http.get(f"{url}/mempool/stats")).json()
        return int(answer["txs"]), int(answer["max_txs"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


async def follow_mempools(
    target: Target, recorder: Recorder, start_ts: float, *, every_s: float = 1.0
) -> None:
    """Record every node's mempool size and cap every `every_s` from plan offset 0 (`start_ts`
    on `time.perf_counter()`) until cancelled."""
    nodes = _nodes(target)
    sizes = {(c, n): recorder.gauge("mempool.size", chain=c, node=n) for c, n, _ in nodes}
    caps = {(c, n): recorder.gauge("mempool.cap", chain=c, node=n) for c, n, _ in nodes}
    tick = 0
    async with httpx.AsyncClient(timeout=_READ_TIMEOUT_S) as http:
        while True:
            now_s = time.perf_counter() - start_ts
            tick = max(tick, math.ceil((now_s - _READ_AFTER_S) / every_s))
            await asyncio.sleep(max(tick * every_s + _READ_AFTER_S - now_s, 0.0))
            answers = await asyncio.gather(*(_stats(http, url) for _, _, url in nodes))
            for (chain, node, _), answer in zip(nodes, answers, strict=True):
                if answer is not None:
                    sizes[chain, node].set(float(answer[0]))
                    caps[chain, node].set(float(answer[1]))
            tick += 1


def _series_labels(metrics: RunMetrics) -> list[dict[str, str]]:
    return [key.label_dict() for key in metrics.keys("mempool.size")]


def fill_max(metrics: RunMetrics) -> Figure:
    """mempool.fill_max: the highest size/cap any node's mempool showed in any sample."""
    fills: list[float] = []
    for labels in _series_labels(metrics):
        caps = dict(metrics.series("mempool.cap", labels))
        fills += [
            size / caps[i] for i, size in metrics.series("mempool.size", labels) if caps.get(i)
        ]
    if not fills:
        return Figure(None, "no node's mempool was sampled during the run (mempool.size)")
    return Figure(max(fills))


def drained_after(
    metrics: RunMetrics, from_s: float, until_s: float, *, at_most: int
) -> tuple[float | None, Sequence[int]]:
    """The first sampled offset at or after `from_s` at which every node held at most
    `at_most` txs (None if none did before `until_s`), and the intervals sampled."""
    step_s = metrics.interval_s
    first = math.ceil(from_s / step_s - 1e-9)
    last = math.floor(until_s / step_s + 1e-9)
    per_node = [dict(metrics.series("mempool.size", labels)) for labels in _series_labels(metrics)]
    sampled = [i for i in range(first, last) if any(i in sizes for sizes in per_node)]
    for i in sampled:
        if all(sizes.get(i, 0.0) <= at_most for sizes in per_node):
            return i * step_s, sampled
    return None, sampled
