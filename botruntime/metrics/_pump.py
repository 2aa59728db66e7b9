"""Hands each finished interval of a `Recorder` to a sink, on an absolute 1 s schedule."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from botruntime.metrics._delta import IntervalDelta
from botruntime.metrics._recorder import Recorder

__all__ = ["IntervalPump", "Sink"]

Sink = Callable[[IntervalDelta], Awaitable[None]]


class IntervalPump:
    """Interval i covers [start_ts + i*interval_s, start_ts + (i+1)*interval_s) on
    `time.perf_counter()`; an interval with nothing recorded is still sent (it is evidence
    that the worker was alive and idle)."""

    def __init__(
        self,
        recorder: Recorder,
        sink: Sink,
        *,
        interval_s: float = 1.0,
        start_ts: float | None = None,
        send_timeout_s: float = 5.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self._recorder = recorder
        self._sink = sink
        self.interval_s = interval_s
        self.start_ts = time.perf_counter() if start_ts is None else start_ts
        self._send_timeout_s = send_timeout_s
        self._stop = asyncio.Event()
        self._next = 0

    def stop(self) -> None:
        """Ask `run` to send the partial interval it is in and return."""
        self._stop.set()

    async def run(self) -> None:
        while True:
            end = self.start_ts + (self._next + 1) * self.interval_s
            wait_s = max(end - time.perf_counter(), 0.001)
            try:
                async with asyncio.timeout(wait_s):
                    await self._stop.wait()
            except TimeoutError:
                await self._send(self._recorder.flush(self._next))
                self._next += 1
                continue
            await self._send(self._recorder.flush(self._next))
            self._next += 1
            return

    async def _send(self, delta: IntervalDelta) -> None:
        async with asyncio.timeout(self._send_timeout_s):
            await self._sink(delta)
