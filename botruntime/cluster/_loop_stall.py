"""A test hook: make a worker's own event loop stop for a while, as a tool-side failure.

A verdict must blame a stalled generator on the tool (INCONCLUSIVE), never on the network.
Showing that on real processes needs a worker that really stalls: `testbots worker` reads
`TESTBOTS_TEST_BLOCK_LOOP_AT_S=AT,FOR` (plan offset and length, in seconds) only when it is
set, and then blocks its event loop once, from AT for FOR seconds: no arrival, heartbeat or
commit is handled meanwhile. Nothing sets it outside tests.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

__all__ = ["LoopStall"]


@dataclass(frozen=True, slots=True)
class LoopStall:
    at_s: float  # plan offset at which the loop stops
    for_s: float  # how long it stays stopped

    @classmethod
    def parse(cls, text: str) -> LoopStall:
        """`"20,5"`: stop at plan offset 20 s for 5 s."""
        at, sep, length = text.partition(",")
        try:
            stall = cls(float(at), float(length)) if sep else None
        except ValueError:
            stall = None
        if stall is None or not all(math.isfinite(v) and v >= 0 for v in (stall.at_s, stall.for_s)):
            raise ValueError(f"give AT,FOR in seconds, e.g. 20,5 (got {text!r})")
        return stall

    async def run(self, start_ts: float) -> None:
        """Wait for plan offset `at_s` (`start_ts` on `time.perf_counter()`), then block."""
        await asyncio.sleep(max(start_ts + self.at_s - time.perf_counter(), 0.0))
        time.sleep(self.for_s)  # noqa: ASYNC251 (the point: nothing else on this loop runs)
