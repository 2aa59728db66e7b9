"""LiveRuns: one loop thread per Dagster run, objects kept across ops, interrupts stop runs."""

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from testbots_dagster._live_runs import LiveRunMissing, LiveRuns


class FakeRun:
    """Only what LiveRuns touches: an idempotent async close."""

    def __init__(self) -> None:
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


@pytest.fixture
def live() -> Iterator[LiveRuns[FakeRun]]:
    runs: LiveRuns[FakeRun] = LiveRuns()
    yield runs
    runs.shutdown(timeout_s=5)


def test_coroutines_of_successive_calls_share_one_loop_off_the_caller_thread(
    live: LiveRuns[FakeRun],
) -> None:
    async def make_queue() -> tuple[asyncio.Queue[int], str]:
        return asyncio.Queue(), threading.current_thread().name

    queue, thread_name = live.call(make_queue())
    assert thread_name == "testbots-live-runs" != threading.current_thread().name

    async def use_queue() -> int:  # a loop-bound object made by an earlier call still works
        await queue.put(7)
        return await queue.get()

    assert live.call(use_queue()) == 7


def test_an_interrupted_wait_sets_stop_and_lets_the_run_end_in_time(
    live: LiveRuns[FakeRun],
) -> None:
    stop = live.new_event()
    seen: list[str] = []

    async def execute() -> None:
        await stop.wait()
        seen.append("stopped by event")

    def terminate() -> None:
        raise KeyboardInterrupt  # what a Dagster run termination looks like in the op thread

    stopped: list[tuple[float, bool]] = []
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        live.call(
            execute(),
            on_wait=terminate,
            stop=stop,
            grace_s=2.0,
            on_stopped=lambda s, clean: stopped.append((s, clean)),
        )
    assert seen == ["stopped by event"]
    assert time.monotonic() - started < 2.0
    assert len(stopped) == 1 and stopped[0][1] is True and stopped[0][0] < 2.0


def test_a_run_deaf_to_stop_is_cancelled_after_the_grace(live: LiveRuns[FakeRun]) -> None:
    seen: list[str] = []

    async def deaf() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    def terminate() -> None:
        raise KeyboardInterrupt

    stopped: list[bool] = []
    with pytest.raises(KeyboardInterrupt):
        live.call(
            deaf(),
            on_wait=terminate,
            stop=live.new_event(),
            grace_s=0.3,
            on_stopped=lambda _s, clean: stopped.append(clean),
        )
    assert stopped == [False]
    deadline = time.monotonic() + 2
    while not seen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == ["cancelled"]


def test_errors_of_the_coroutine_reach_the_caller(live: LiveRuns[FakeRun]) -> None:
    async def boom() -> None:
        raise TimeoutError("node did not answer")  # not mistaken for a wait slice running out

    with pytest.raises(TimeoutError, match="node did not answer"):
        live.call(boom())


def test_a_missing_run_names_the_in_process_executor(live: LiveRuns[FakeRun]) -> None:
    with pytest.raises(LiveRunMissing, match="in-process executor"):
        live.get("0b1c")


def test_shutdown_closes_every_run_left_and_ends_the_thread() -> None:
    live: LiveRuns[FakeRun] = LiveRuns(name="probe-loop")
    a, b = FakeRun(), FakeRun()
    live.put("a", a)
    live.put("b", b)
    live.close("a")
    live.close("a")  # twice is fine
    live.shutdown(timeout_s=5)
    assert (a.closed, b.closed) == (1, 1)
    assert not any(t.name == "probe-loop" for t in threading.enumerate())
