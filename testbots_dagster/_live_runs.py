"""Live scenario runs between the ops of one Dagster run, on one event loop of their own.

The four ops are plain (sync) Dagster ops, but a `ScenarioRun` is asyncio through and through:
its simnet child, HTTP sessions and coordinator channel belong to the loop that created them.
So each Dagster run gets one loop on its own thread (started by the resource, stopped at its
teardown), every op hands its coroutine to that loop and waits, and the `ScenarioRun` made by
`setup` is found again by `distribute`, `execute` and `report` under the Dagster run id. That
only works when the ops share a process: scenario jobs use the in-process executor.

Waiting is done in short slices so the op's thread stays responsive: Dagster delivers a run's
termination as an exception in that thread, and `call` then sets the run's stop event, gives
the coroutine `grace_s` to stop its bots, and cancels it if it has not.

LiveRunsError
└── LiveRunMissing      no live run under this key in this process (.key)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, Final, Generic, Protocol, TypeVar

__all__ = ["Closeable", "LiveRunMissing", "LiveRuns", "LiveRunsError"]

T = TypeVar("T")
_POLL_S: Final = 0.2


class Closeable(Protocol):
    async def close(self) -> None: ...


R = TypeVar("R", bound=Closeable)


class LiveRunsError(RuntimeError):
    """Something about the live runs of this process."""


class LiveRunMissing(LiveRunsError):
    def __init__(self, key: str) -> None:
        super().__init__(
            f"no live scenario run for Dagster run {key!r} in this process: the ops of a scenario "
            "share one process, so run scenario jobs with the in-process executor "
            "(Definitions(executor=in_process_executor)) and start them at 'setup'"
        )
        self.key = key


class LiveRuns(Generic[R]):
    """Owns one event loop thread and the runs started on it; `shutdown` ends both."""

    def __init__(self, *, name: str = "testbots-live-runs") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._runs: dict[str, R] = {}
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    # -- the runs ----------------------------------------------------------------------------

    def put(self, key: str, run: R) -> None:
        self._runs[key] = run

    def get(self, key: str) -> R:
        try:
            return self._runs[key]
        except KeyError:
            raise LiveRunMissing(key) from None

    def close(self, key: str, *, timeout_s: float = 30.0) -> None:
        """Close and forget one run (its `close` is idempotent; a missing key is fine)."""
        run = self._runs.pop(key, None)
        if run is not None:
            self.call(_bounded(run.close(), timeout_s))

    def shutdown(self, *, timeout_s: float = 30.0) -> None:
        """Close every run still here, then stop the loop and its thread."""
        try:
            for key in list(self._runs):
                self.close(key, timeout_s=timeout_s)
        finally:
            if self._loop.is_running():
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=timeout_s)
            if not self._thread.is_alive():
                self._loop.close()

    # -- running coroutines ------------------------------------------------------------------

    def new_event(self) -> asyncio.Event:
        """An event to be waited on in the loop and set from any thread with `set_event`."""
        return asyncio.Event()

    def set_event(self, event: asyncio.Event) -> None:
        self._loop.call_soon_threadsafe(event.set)

    def call(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        on_wait: Callable[[], None] | None = None,
        stop: asyncio.Event | None = None,
        grace_s: float = 2.0,
        on_stopped: Callable[[float, bool], None] | None = None,
    ) -> T:
        """Run `coro` on the loop and wait for it, calling `on_wait` every slice while waiting.

        If the wait is interrupted (a Dagster run termination, Ctrl-C), `stop` is set, the
        coroutine gets `grace_s` to end on its own, then it is cancelled; `on_stopped` hears
        how long that took and whether it ended by itself; the interruption is re-raised.
        """
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            while True:
                done, _ = concurrent.futures.wait([future], timeout=_POLL_S)
                if done:
                    return future.result()
                if on_wait is not None:
                    on_wait()
        except BaseException:
            if not future.done():
                asked = time.monotonic()
                if stop is not None:
                    self.set_event(stop)
                ended, _ = concurrent.futures.wait([future], timeout=grace_s)
                if not ended:
                    future.cancel()
                if on_stopped is not None:
                    on_stopped(time.monotonic() - asked, bool(ended))
            raise


async def _bounded(coro: Coroutine[Any, Any, None], timeout_s: float) -> None:
    async with asyncio.timeout(timeout_s):
        await coro
