"""The coordinator/worker cluster: one run split over many worker processes (DESIGN §6).

    stop = asyncio.Event()
    await serve_coordinator(ServerOptions(token=token), stop)            # testbots coordinator
    await Worker(WorkerOptions("127.0.0.1:7470", token), runner).run(stop)  # testbots worker
    async with ControlClient("127.0.0.1:7470", token) as client:         # status, stop, runs
        run = await client.distribute(DistributeRequest(plan.source))      # a compiled plan

A worker runs its assignments through a `FleetRunner`; `SyntheticRunner` is one that needs no
network. Generated protobuf code stays inside this package (`_pb`, import-linter protected).
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
    ProtocolViolation,
    RunStateError,
)
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
    RunnerGauges,
    RunState,
    ShareLevel,
    WorkerLossPolicy,
)
from botruntime.cluster._worker import Worker, WorkerOptions

__all__ = [
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
    "FleetRunner",
    "HealthSample",
    "Liveness",
    "LivenessConfig",
    "LoadGap",
    "LoopStall",
    "MetricsFollower",
    "NotFound",
    "PlacementError",
    "PlacementView",
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
