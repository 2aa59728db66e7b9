"""Who drives the bots of a run: one fleet in this process, or a local cluster of workers.

`InProcess` runs one `Fleet` here (`--workers 0`: simplest to debug). `LocalCluster` serves a
gRPC coordinator in this process and starts N `testbots worker` processes (DESIGN §5: the
default run is simnet + coordinator + one worker); the coordinator places the bots, splits
the plan and merges the workers' metrics, and each worker reconciles its own bots' shadow
ledgers. Both hand metric deltas to the same sink and end with the same `FleetOutcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from botruntime.cluster import (
    ControlClient,
    CoordinatorUnavailable,
    DistributeRequest,
    RunView,
    ServerOptions,
    serve_coordinator,
)
from botruntime.fleet import Fleet, FleetOutcome
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder, RunMetrics
from botruntime.plan import PlanPart

__all__ = ["CoordinatorAddress", "Executor", "InProcess", "LocalCluster"]

DeltaSink = Callable[[IntervalDelta], Awaitable[None]]
_METRICS_EVERY_POLLS = 5  # run status is polled every second


class Executor(Protocol):
    async def distribute(self) -> None: ...
    async def execute(self, start_ts: float, sink: DeltaSink, stop: asyncio.Event) -> None: ...
    async def outcome(self) -> tuple[FleetOutcome, list[str]]: ...
    def merged(self, local: RunMetrics, own: Sequence[IntervalDelta]) -> RunMetrics: ...
    async def close(self) -> None: ...


class InProcess:
    def __init__(self, part: PlanPart) -> None:
        self.fleet = Fleet(part, Recorder(source="local"))

    async def distribute(self) -> None:
        await self.fleet.setup()

    async def execute(self, start_ts: float, sink: DeltaSink, stop: asyncio.Event) -> None:
        pump = IntervalPump(self.fleet.recorder, sink, start_ts=start_ts)
        async with asyncio.TaskGroup() as tg:
            pumping = tg.create_task(pump.run(), name="fleet-pump")
            try:
                await self.fleet.run(start_ts, stop)
            finally:
                pump.stop()
                await pumping

    async def outcome(self) -> tuple[FleetOutcome, list[str]]:
        return await self.fleet.outcome(), []

    def merged(self, local: RunMetrics, own: Sequence[IntervalDelta]) -> RunMetrics:
        return local  # the fleet's deltas and this process's own went into `local` already

    async def close(self) -> None:
        await self.fleet.close()


@dataclass(frozen=True, slots=True)
class CoordinatorAddress:
    """A running coordinator (`testbots coordinator`) and the token its workers share."""

    address: str  # HOST:PORT
    token: str = field(repr=False)


class LocalCluster:
    """A run on a coordinator: one served here with `workers` worker processes started for
    the run (embedded), or one already running with its own workers (`external`)."""

    def __init__(
        self,
        request: DistributeRequest,
        workers: int,
        log_dir: Path,
        external: CoordinatorAddress | None = None,
    ) -> None:
        self.request = request
        self.workers = workers
        self.log_dir = log_dir
        self.external = external
        self._token = external.token if external else secrets.token_hex(16)
        self._stop_coordinator = asyncio.Event()
        self._coordinator: asyncio.Task[object] | None = None
        self._procs: list[asyncio.subprocess.Process] = []
        self._logs: list[IO[bytes]] = []
        self._address = ""
        self._view: RunView | None = None
        self._metrics: RunMetrics | None = None

    async def distribute(self) -> None:
        if self.external is None:
            await self._start_embedded()
        else:
            self._address = self.external.address
        async with ControlClient(self._address, self._token) as client:
            await client.wait_for_workers(self.workers, timeout_s=30.0)
            # a worker is listed alive on registering, and placeable once its session stream
            # is open a moment later: retry the placement, not the run
            deadline = time.monotonic() + 15.0
            while True:
                try:
                    self._view = await client.distribute(self.request)
                    return
                except CoordinatorUnavailable as exc:
                    if exc.code != "FAILED_PRECONDITION" or time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.1)

    async def _start_embedded(self) -> None:
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._coordinator = asyncio.create_task(
            serve_coordinator(
                ServerOptions(token=self._token, listen="127.0.0.1:0"),
                self._stop_coordinator,
                on_ready=ready.set_result,
            ),
            name="coordinator",
        )
        port = await asyncio.wait_for(asyncio.shield(ready), timeout=15.0)
        self._address = f"127.0.0.1:{port}"
        testbots = str(Path(sys.executable).parent / "testbots")
        for i in range(self.workers):
            log = (self.log_dir / f"worker-{i}.log").open("ab")
            self._logs.append(log)
            self._procs.append(
                await asyncio.create_subprocess_exec(
                    testbots,
                    "worker",
                    "--coordinator",
                    self._address,
                    "--name",
                    f"w{i}",
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "TESTBOTS_TOKEN": self._token},
                )
            )

    @property
    def start_at_unix_s(self) -> float:
        assert self._view is not None
        return self._view.start_at_unix_s

    async def execute(self, start_ts: float, sink: DeltaSink, stop: asyncio.Event) -> None:
        """Follow the run until it ends; `stop` stops every worker's bots (≤ 2 s). The workers'
        deltas are merged by the coordinator, so `sink` gets nothing from here."""
        assert self._view is not None
        run_id = self._view.run_id
        async with ControlClient(self._address, self._token, timeout_s=30.0) as client:
            stopping = False
            polls = 0
            while True:
                view = await client.run_status(run_id)
                # the merged metrics stream every delta of the run: fetch them for progress
                # every few seconds only, and once, whole, when the run has ended
                if view.terminal or polls % _METRICS_EVERY_POLLS == 0:
                    self._metrics = await client.run_metrics(run_id)
                polls += 1
                if view.terminal:
                    self._view = view
                    return
                if stop.is_set() and not stopping:
                    await client.stop_run(run_id, "stopped by the user")
                    stopping = True
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await stop.wait()

    async def outcome(self) -> tuple[FleetOutcome, list[str]]:
        assert self._view is not None
        view = self._view
        total = FleetOutcome()
        for placement in view.placements:
            total = total + FleetOutcome.from_counters(placement.counters)
        notes = [*view.notes]
        notes += [
            f"load gap: worker {g.worker_id} bots {g.bot_first}..{g.bot_first + g.bot_count - 1}"
            f" from {g.from_s:.1f} s to {g.to_s:.1f} s ({g.policy})"
            for g in view.gaps
        ]
        if view.forced_verdict:
            notes.append(f"the coordinator ended the run {view.state}: {view.reason}")
        return total, notes

    @property
    def invalid_reason(self) -> str | None:
        view = self._view
        if view is not None and view.forced_verdict == "INCONCLUSIVE":
            return f"the run was {view.state}: {view.reason}"
        return None

    def merged(self, local: RunMetrics, own: Sequence[IntervalDelta]) -> RunMetrics:
        """The coordinator's merge of every worker, plus what this process recorded itself."""
        if self._metrics is None:
            return local
        for delta in own:
            self._metrics.ingest(delta)  # a delta already merged is ignored, not counted twice
        return self._metrics

    async def close(self) -> None:
        if self.external is not None:
            await self._stop_unfinished_run()
            return
        self._stop_coordinator.set()
        if self._coordinator is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                async with asyncio.timeout(10.0):
                    await self._coordinator
            if not self._coordinator.done():
                self._coordinator.cancel()
        for proc in self._procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10.0
        for proc in self._procs:
            try:
                async with asyncio.timeout(max(0.1, deadline - time.monotonic())):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for log in self._logs:
            log.close()
        self._procs.clear()
        self._logs.clear()

    async def _stop_unfinished_run(self) -> None:
        """A coordinator we do not own outlives us: never leave our run going on it."""
        if self._view is None or self._view.terminal:
            return
        with contextlib.suppress(CoordinatorUnavailable):
            async with ControlClient(self._address, self._token, timeout_s=10.0) as client:
                await client.stop_run(self._view.run_id, "the run's client closed")
