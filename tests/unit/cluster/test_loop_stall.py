"""The worker's loop-stall test hook: parsed from AT,FOR, and it really stops the loop."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from botruntime.cluster import LoopStall

pytestmark = pytest.mark.anyio


def test_parse_reads_at_and_for() -> None:
    assert LoopStall.parse("20,5") == LoopStall(20.0, 5.0)
    assert LoopStall.parse("0.5, 0.25") == LoopStall(0.5, 0.25)


@pytest.mark.parametrize("text", ["20", "a,5", "20,-1", "nan,1", ""])
def test_parse_refuses_anything_else_naming_the_form(text: str) -> None:
    with pytest.raises(ValueError, match="AT,FOR in seconds"):
        LoopStall.parse(text)


async def test_the_stall_stops_every_other_task_on_the_loop() -> None:
    start = time.perf_counter()
    ticks: list[float] = []

    async def ticker() -> None:
        while time.perf_counter() - start < 0.4:
            ticks.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(ticker(), name="ticker")
        tg.create_task(LoopStall(0.05, 0.2).run(start), name="stall")
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) >= 0.2  # nothing ran while the loop was blocked
