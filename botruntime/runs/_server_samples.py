"""What the network process holds open, sampled every second of the run (SCENARIOS.md §1.3).

On simnet the runner reads `GET /simnet/metrics` (Prometheus text) at every whole second of
the plan (plus 50 ms, as the chain heights are read) and records the gauges `sim.fds` (open
file descriptors of the simnet process) and `sim.connections` (HTTP connections open on all
its ports). A real network has no such endpoint: nothing is recorded, and the figures below
are missing with the reason.

`resource_figures` reads the samples back (R5 connection_churn C3):
- `sim.fds_max`, `sim.connections_max`: the most seen in any sample;
- `sim.fds_rise`, `sim.connections_rise`: the last sample (the end of the run, after the
  drain) minus the baseline, the most seen before the load first changed shape (the start of
  the second hold stage: in R5, the pooled clients alone). A network that closes what its
  clients closed comes back to its baseline; one that leaks stays above it by what leaked.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Final

import httpx
from prometheus_client.parser import text_string_to_metric_families

from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import RunPlan, Target
from botruntime.runs._hold_stages import Figure, hold_stages

__all__ = ["follow_server", "resource_figures"]

_READ_AFTER_S = 0.05
_READ_TIMEOUT_S = 0.5
# Prometheus family -> gauge recorded
_GAUGES: Final = {"simnet_open_fds": "sim.fds", "simnet_connections": "sim.connections"}


async def _read(http: httpx.AsyncClient, control: str) -> dict[str, float]:
    try:
        text = (await http.get(f"{control}/simnet/metrics")).text
        return {
            _GAUGES[family.name]: float(family.samples[0].value)
            for family in text_string_to_metric_families(text)
            if family.name in _GAUGES and family.samples
        }
    except (httpx.HTTPError, ValueError):
        return {}


async def follow_server(
    target: Target, recorder: Recorder, start_ts: float, *, every_s: float = 1.0
) -> None:
    """Record simnet's open fds and connections every `every_s` from plan offset 0
    (`start_ts` on `time.perf_counter()`) until cancelled; nothing on a real network."""
    if target.control is None:
        return
    gauges = {name: recorder.gauge(name) for name in _GAUGES.values()}
    tick = 0
    async with httpx.AsyncClient(timeout=_READ_TIMEOUT_S) as http:
        while True:
            now_s = time.perf_counter() - start_ts
            tick = max(tick, math.ceil((now_s - _READ_AFTER_S) / every_s))
            await asyncio.sleep(max(tick * every_s + _READ_AFTER_S - now_s, 0.0))
            for name, value in (await _read(http, target.control)).items():
                gauges[name].set(value)
            tick += 1


def _baseline_end_s(plan: RunPlan) -> float:
    """Where the load first changes shape: the first hold stage that starts after offset 0,
    or the end of the first one to end when they all start at 0."""
    spans = hold_stages(plan)
    later = [start for start, _ in spans if start > 0]
    return min(later) if later else min((end for _, end in spans), default=0.0)


def resource_figures(plan: RunPlan, metrics: RunMetrics) -> dict[str, Figure]:
    """sim.{fds,connections}_{max,rise} from the samples (see the module's docstring)."""
    out: dict[str, Figure] = {}
    baseline_end = math.floor(_baseline_end_s(plan) / metrics.interval_s + 1e-9)
    for name in _GAUGES.values():
        samples = metrics.series(name)
        if not samples:
            why = f"the network's {name} was never sampled (simnet's /simnet/metrics only)"
            out[f"{name}_max"] = out[f"{name}_rise"] = Figure(None, why)
            continue
        out[f"{name}_max"] = Figure(max(value for _, value in samples))
        before = [value for i, value in samples if i < baseline_end]
        last_i, last = samples[-1]
        if not before or last_i < baseline_end:
            out[f"{name}_rise"] = Figure(
                None, f"{name} was not sampled both before {baseline_end} s and after it"
            )
            continue
        out[f"{name}_rise"] = Figure(last - max(before))
    return out
