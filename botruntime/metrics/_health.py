"""Is the generator keeping up? Its own lag, CPU, memory and in-flight work, as metrics.

A verdict reads these through gates G1/G2 (SCENARIOS §1.4): a run whose generator fell behind
is INCONCLUSIVE, whatever the network did. Recorded per process:

- `gen.loop_lag`     how late this monitor's own timer fired (event-loop lag), histogram
- `gen.cpu`          fraction of one core used by the process since the last sample, gauge
- `gen.rss_bytes`    resident memory, gauge
- `gen.inflight`     actions in flight per role (peak per interval), gauge
- `gen.bots`         bots by lifecycle state (label `state`), gauge, on `sample_bots()`

`gen.schedule_lag` (arrival started minus intended) is recorded by the executors themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import psutil

from botruntime.metrics._recorder import Gauge, Recorder

__all__ = ["GeneratorHealth"]


class GeneratorHealth:
    def __init__(
        self,
        recorder: Recorder,
        *,
        in_flight: Callable[[], Mapping[str, int]] | None = None,
        bots: Callable[[], Mapping[str, int]] | None = None,
        tick_s: float = 0.05,
        process_every_s: float = 1.0,
    ) -> None:
        if tick_s < 0.001:
            raise ValueError(f"tick_s must be >= 0.001 (sub-ms timers misfire), got {tick_s}")
        self._recorder = recorder
        self._in_flight = in_flight
        self._bots = bots
        self._tick_s = tick_s
        self._process_every_s = process_every_s
        self._loop_lag = recorder.histogram("gen.loop_lag")
        self._cpu = recorder.gauge("gen.cpu")
        self._rss = recorder.gauge("gen.rss_bytes")
        self._roles: dict[str, Gauge] = {}
        self._states: dict[str, Gauge] = {}
        self._process = psutil.Process()

    async def run(self) -> None:
        """Sample until cancelled (run it in the TaskGroup that runs the executors)."""
        self._process.cpu_percent(None)  # the first call only starts psutil's clock
        due = time.perf_counter() + self._tick_s
        next_process = time.perf_counter() + self._process_every_s
        while True:
            await asyncio.sleep(max(due - time.perf_counter(), 0.001))
            woke = time.perf_counter()
            self._loop_lag.record_s(woke - due)
            due += self._tick_s
            if due < woke:  # fell a whole tick behind: measure from now, do not burst
                due = woke + self._tick_s
            self.sample_in_flight()
            if woke >= next_process:
                self.sample_process()
                next_process = woke + self._process_every_s

    def sample_in_flight(self) -> None:
        if self._in_flight is None:
            return
        for role, n in self._in_flight().items():
            gauge = self._roles.get(role)
            if gauge is None:
                gauge = self._roles[role] = self._recorder.gauge("gen.inflight", role=role)
            gauge.set(n)

    def sample_process(self) -> None:
        self._cpu.set(self._process.cpu_percent(None) / 100.0)
        self._rss.set(float(self._process.memory_info().rss))

    def sample_bots(self) -> None:
        """Bots per state; a state seen once and left reads 0, not its last count. Called by
        the owner of the bots when they change state (it walks every bot: not per tick)."""
        if self._bots is None:
            return
        counts = self._bots()
        for state in counts.keys() - self._states.keys():
            self._states[state] = self._recorder.gauge("gen.bots", state=state)
        for state, gauge in self._states.items():
            gauge.set(counts.get(state, 0))
