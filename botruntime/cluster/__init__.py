"""The coordinator/worker cluster: one run split over many worker processes (DESIGN §6).

    stop = asyncio.Event()
    await serve_coordinator(ServerOptions(token=token), stop)            # testbots coordinator
    await Worker(WorkerOptions("127.0.0.1:7470", token), runner).run(stop)  # testbots worker
    async with ControlClient("127.0.0.1:7470", token) as client:         # status, stop, runs
        run = await client.distribute(DistributeRequest(plan.source))      # a compiled plan

A worker runs its assignments through a `FleetRunner`; `SyntheticRunner` is one that needs no
network. Generated protobuf code stays inside this package (`_pb`, import-linter protected).

Protocol. Worker and coordinator agree on `CLUSTER_PROTOCOL` (`_wire`), sent with
`RegisterWorker`; a coordinator refuses another number (reason `protocol`, FAILED_PRECONDITION,
naming the fix: the same testbots version on both), and the worker stops instead of retrying.
2: a `MetricDelta` carries a packed delta (botruntime.metrics `DeltaPacker`: every histogram's
non-zero counters in one compressed payload), not JSON.

Fencing (DESIGN §6): a bot has exactly one owner at a time.

- Epoch. Every `RegisterWorker` opens a new ownership epoch (`WorkerRecord.epoch`, never
  reused); every assignment record carries the epoch of the worker it was given to. A worker
  judged `lost` (or gone) has a dead epoch for good: it must register again, as a new owner.
- Lease (worker side, `_fence.Lease`). A worker may act for its bots only while its lease
  holds: granted by the registration, renewed by every heartbeat the coordinator `Ack`s,
  and lapsing `dead_man_s` after the *send* of the last acknowledged heartbeat. The fleet
  asks the lease right before it signs or sends any tx (`FleetRunner.run(..., may_act)`), so a
  process frozen past its term and resumed sends nothing, even before its dead-man switch
  runs; the switch then stops every bot and registers afresh. The coordinator never `Ack`s a
  heartbeat of a dead epoch, so a lost worker's lease is never renewed.
- Stop. When a worker is judged lost, the coordinator puts `Abort` (every run) on its
  Session and keeps the Session open; the worker takes it as the end of its epoch: it revokes
  its lease, stops every bot, and sends each assignment's `AssignmentDone` as the
  acknowledgement that those bots stopped.
- Fence (coordinator side, `_fence.Fence`). A lost worker's bots are marked `lost` at once
  (their load gap starts at their last delta), but under `rebalance` they move to survivors
  only when the old owner is fenced: every assignment it held acknowledged the stop, or its
  last heartbeat + `dead_man_s` has passed on the coordinator's clock, by when its lease has
  lapsed (the lease counts from a send that came before that heartbeat arrived). Then the
  Session is closed and the policy re-derives the bots (nonces resynced from the chain); the
  gap runs to the takeover. A run does not complete while lost bots await their fence.
  `fail` and `continue` move nothing, so they decide at once.
- Late messages. A heartbeat, metric delta or result of a dead epoch is ignored and kept as a
  typed `FencedMessage` (`Coordinator.fenced_messages`): it is never merged, never renews a
  lease, never changes a record; a result only counts as the stop's acknowledgement. A
  Session hello of a dead epoch is refused (FAILED_PRECONDITION: register again).
"""

from botruntime.cluster._auth import TOKEN_HEADER, TlsFiles, check_token
from botruntime.cluster._client import (
    ClusterView,
    ControlClient,
    DistributeRequest,
    MetricsFollower,
    PlacementView,
    RunView,
    WorkerView,
)
from botruntime.cluster._coordinator import Coordinator, CoordinatorConfig
from botruntime.cluster._errors import (
    ClusterConfigError,
    ClusterError,
    CoordinatorRefused,
    CoordinatorUnavailable,
    NotFound,
    PlacementError,
    ProtocolMismatch,
    ProtocolViolation,
    RunStateError,
)
from botruntime.cluster._fence import FencedMessage
from botruntime.cluster._health import WORKER_SERVICE
from botruntime.cluster._loop_stall import LoopStall
from botruntime.cluster._registry import LivenessConfig
from botruntime.cluster._scenario_runner import ScenarioRunner
from botruntime.cluster._server import (
    DEFAULT_LISTEN,
    SERVICE_NAME,
    ServerOptions,
    serve_coordinator,
)
from botruntime.cluster._synthetic import SyntheticRunner
from botruntime.cluster._types import (
    Assignment,
    AssignmentOutcome,
    AssignmentResult,
    DeltaSink,
    FleetRunner,
    HealthSample,
    Liveness,
    LoadGap,
    MayAct,
    RunnerGauges,
    RunState,
    ShareLevel,
    WorkerLossPolicy,
)
from botruntime.cluster._wire import CLUSTER_PROTOCOL
from botruntime.cluster._worker import Worker, WorkerOptions

__all__ = [
    "CLUSTER_PROTOCOL",
    "DEFAULT_LISTEN",
    "SERVICE_NAME",
    "TOKEN_HEADER",
    "WORKER_SERVICE",
    "Assignment",
    "AssignmentOutcome",
    "AssignmentResult",
    "ClusterConfigError",
    "ClusterError",
    "ClusterView",
    "ControlClient",
    "Coordinator",
    "CoordinatorConfig",
    "CoordinatorRefused",
    "CoordinatorUnavailable",
    "DeltaSink",
    "DistributeRequest",
    "FencedMessage",
    "FleetRunner",
    "HealthSample",
    "Liveness",
    "LivenessConfig",
    "LoadGap",
    "LoopStall",
    "MayAct",
    "MetricsFollower",
    "NotFound",
    "PlacementError",
    "PlacementView",
    "ProtocolMismatch",
    "ProtocolViolation",
    "RunState",
    "RunStateError",
    "RunView",
    "RunnerGauges",
    "ScenarioRunner",
    "ServerOptions",
    "ShareLevel",
    "SyntheticRunner",
    "TlsFiles",
    "Worker",
    "WorkerLossPolicy",
    "WorkerOptions",
    "WorkerView",
    "check_token",
    "serve_coordinator",
]
