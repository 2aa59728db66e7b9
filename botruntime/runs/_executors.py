"""Who drives the bots of a run: a coordinator and its workers, or one fleet in this process.

`place` hands a compiled plan to a coordinator (embedded: started for the run by `_stack`;
external: a running fleet, deploy/) and `ClusterRun` follows the run there over gRPC until it
ends, keeping its merged metrics up to date at a constant cost per poll. `InProcess` runs the
whole plan in one `Fleet` here (`--workers 0`: simplest to debug). Both end with the same
`FleetOutcome`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from botruntime.cluster import (
    ControlClient,
    CoordinatorRefused,
    CoordinatorUnavailable,
    DistributeRequest,
    LivenessConfig,
    RunView,
)
from botruntime.fleet import Fleet, FleetOutcome
from botruntime.metrics import IntervalDelta, IntervalPump, Recorder, RunMetrics
from botruntime.plan import RunPlan
from botruntime.runs._errors import CoordinatorLost

__all__ = ["ClusterRun", "CoordinatorAddress", "InProcess", "place"]

DeltaSink = Callable[[IntervalDelta], Awaitable[None]]
_PLACE_RETRY_S = 15.0
# silent this long, a coordinator is lost to the run: its workers' dead-man switches have
# stopped every bot by then (the coordinator's default interval, told to each worker)
LOST_AFTER_S = LivenessConfig().dead_man_s


@dataclass(frozen=True, slots=True)
class CoordinatorAddress:
    """A running coordinator (`testbots coordinator`) and the token its workers share."""

    address: str  # HOST:PORT
    token: str = field(repr=False)


async def place(coordinator: CoordinatorAddress, plan: RunPlan, workers: int) -> RunView:
    """Hand `plan` to the coordinator once `workers` workers are live; its placements."""
    async with ControlClient(coordinator.address, coordinator.token) as client:
        await client.wait_for_workers(workers, timeout_s=30.0)
        # a worker is listed alive on registering, and placeable once its session stream is
        # open a moment later: retry the placement, not the run
        deadline = time.monotonic() + _PLACE_RETRY_S
        while True:
            try:
                return await client.distribute(DistributeRequest(plan.source, workers))
            except CoordinatorRefused as exc:
                if exc.reason != "placement" or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.1)


class ClusterRun:
    """A run on a coordinator, followed until it ends. `metrics` is the live merge of every
    worker (plus whatever this process ingests into it itself)."""

    def __init__(self, coordinator: CoordinatorAddress, run_id: str) -> None:
        self.coordinator = coordinator
        self.run_id = run_id
        self.metrics = RunMetrics()
        self.view: RunView | None = None

    async def follow(self, stop: asyncio.Event, poll_s: float = 1.0) -> RunView:
        """Poll status and metrics every `poll_s` until the run ends; `stop` stops every
        worker's bots (≤ 2 s) and the run then ends as stopped. A coordinator silent for
        `LOST_AFTER_S` raises CoordinatorLost: by then every worker's dead-man switch has
        stopped its bots, so nothing of the run is still going."""
        address, token = self.coordinator.address, self.coordinator.token
        async with ControlClient(address, token, timeout_s=30.0) as client:
            follower = client.follow_metrics(self.run_id)
            follower.metrics = self.metrics
            stopping = False
            answered = time.monotonic()
            while True:
                try:
                    view = await client.run_status(self.run_id)
                    await follower.update()  # only what changed since the last poll
                except CoordinatorUnavailable as exc:
                    silent_s = time.monotonic() - answered
                    if silent_s >= LOST_AFTER_S:
                        raise CoordinatorLost(
                            f"the run lost its coordinator at {address} for {silent_s:.0f} s "
                            f"mid-run ({exc}); its workers stopped their bots, and what the run "
                            "did after the coordinator's last answer is not known",
                            silent_s=silent_s,
                        ) from None
                    await asyncio.sleep(poll_s)
                    continue
                answered = time.monotonic()
                if view.terminal:
                    self.view = view
                    return view
                if stop.is_set() and not stopping:
                    await client.stop_run(self.run_id, "stopped by the user")
                    stopping = True
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(poll_s):
                        await stop.wait()

    async def merged_intervals(self) -> list[IntervalDelta]:
        """Every interval of the run as the coordinator merged it: what the report keeps."""
        address, token = self.coordinator.address, self.coordinator.token
        async with ControlClient(address, token, timeout_s=60.0) as client:
            return await client.merged_intervals(self.run_id)

    def outcome(self) -> tuple[FleetOutcome, list[str], list[str]]:
        """(the workers' summed outcome, notes, reasons the experiment broke)."""
        view = self.view
        assert view is not None, "outcome() comes after follow()"
        total = FleetOutcome()
        for placement in view.placements:
            total = total + FleetOutcome.from_counters(placement.counters)
        notes = [*view.notes]
        notes += [
            f"load gap: worker {g.worker_id} bots {g.bot_first}..{g.bot_first + g.bot_count - 1}"
            f" from {g.from_s:.1f} s to {g.to_s:.1f} s ({g.policy})"
            for g in view.gaps
        ]
        invalid = []
        if view.forced_verdict:
            notes.append(f"the coordinator ended the run {view.state}: {view.reason}")
        if view.forced_verdict == "INCONCLUSIVE":
            invalid.append(f"the run was {view.state}: {view.reason}")
        return total, notes, invalid

    def lost_beyond_policy(self) -> int:
        """Workers lost that the run's `on_worker_loss` does not cover (gate G3): under `fail`
        every lost worker; `rebalance` and `continue` are the policy covering a loss."""
        view = self.view
        assert view is not None, "lost_beyond_policy() comes after follow()"
        if view.policy != "fail":
            return 0
        return len({gap.worker_id for gap in view.gaps})

    async def stop_if_running(self) -> None:
        """Never leave a run going on a coordinator: stop it (a no-op once it ended)."""
        if self.view is not None and self.view.terminal:
            return
        address, token = self.coordinator.address, self.coordinator.token
        with contextlib.suppress(CoordinatorUnavailable):
            async with ControlClient(address, token, timeout_s=10.0) as client:
                await client.stop_run(self.run_id, "the run's follower stopped")


class InProcess:
    """The whole plan in one fleet in this process."""

    def __init__(self, plan: RunPlan) -> None:
        self.fleet = Fleet(plan.part(), Recorder(source="local"))

    async def setup(self) -> None:
        await self.fleet.setup()

    async def run(self, start_ts: float, sink: DeltaSink, stop: asyncio.Event) -> None:
        pump = IntervalPump(self.fleet.recorder, sink, start_ts=start_ts)
        async with asyncio.TaskGroup() as tg:
            pumping = tg.create_task(pump.run(), name="fleet-pump")
            try:
                await self.fleet.run(start_ts, stop)
            finally:
                pump.stop()
                await pumping

    async def outcome(self) -> FleetOutcome:
        return await self.fleet.outcome()

    async def close(self) -> None:
        await self.fleet.close()
