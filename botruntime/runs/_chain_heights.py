"""How far each chain of a run's target got, followed every second of the run.

The runner reads each chain's height at every whole second of the plan (plus 50 ms, so the
read lands in that second's metric interval) from the first of its nodes whose `/status`
answers (a node down for maintenance is not a chain that stopped), and records it as the gauge
`chain.height{chain}`: liveness (S1) is then judged per hold stage from the heights the
metrics hold, on simnet and on a real network alike. A read that fails records nothing; a
chain none of whose nodes answers shows as a chain that stopped.
"""

from __future__ import annotations

import asyncio
import math
import time

import httpx

from botruntime.metrics import Recorder
from botruntime.plan import Target

__all__ = ["follow_heights"]

_READ_AFTER_S = 0.05  # into each interval: the read belongs to the second it was made in
_READ_TIMEOUT_S = 0.5


def _chain_nodes(target: Target) -> dict[str, tuple[str, ...]]:
    pairs = (("alpha", target.alpha), ("delta", target.delta))
    return {chain: tuple(urls) for chain, urls in pairs if urls}


async def _height(http: httpx.AsyncClient, urls: tuple[str, ...]) -> int | None:
    """The chain's height from the first node that answers: a node stopped for maintenance
    (SCENARIOS.md L10) is not a chain that stopped."""
    for url in urls:
        try:
            return int((await http.get(f"{url}/status")).json()["height"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            continue
    return None


async def follow_heights(
    target: Target, recorder: Recorder, start_ts: float, *, every_s: float = 1.0
) -> None:
    """Record each chain's height every `every_s` from plan offset 0 (`start_ts` on
    `time.perf_counter()`) until cancelled."""
    nodes = _chain_nodes(target)
    gauges = {chain: recorder.gauge("chain.height", chain=chain) for chain in nodes}
    tick = 0
    async with httpx.AsyncClient(timeout=_READ_TIMEOUT_S) as http:
        while True:
            now_s = time.perf_counter() - start_ts
            tick = max(tick, math.ceil((now_s - _READ_AFTER_S) / every_s))
            await asyncio.sleep(max(tick * every_s + _READ_AFTER_S - now_s, 0.0))
            for chain, urls in nodes.items():
                height = await _height(http, urls)
                if height is not None:
                    gauges[chain].set(float(height))
            tick += 1
