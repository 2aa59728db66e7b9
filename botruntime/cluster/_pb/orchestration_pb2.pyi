from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssignmentOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSIGNMENT_OUTCOME_UNSPECIFIED: _ClassVar[AssignmentOutcome]
    ASSIGNMENT_OUTCOME_COMPLETED: _ClassVar[AssignmentOutcome]
    ASSIGNMENT_OUTCOME_STOPPED: _ClassVar[AssignmentOutcome]
    ASSIGNMENT_OUTCOME_FAILED: _ClassVar[AssignmentOutcome]
    ASSIGNMENT_OUTCOME_LOST: _ClassVar[AssignmentOutcome]

class WorkerLossPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKER_LOSS_POLICY_UNSPECIFIED: _ClassVar[WorkerLossPolicy]
    WORKER_LOSS_POLICY_FAIL: _ClassVar[WorkerLossPolicy]
    WORKER_LOSS_POLICY_REBALANCE: _ClassVar[WorkerLossPolicy]
    WORKER_LOSS_POLICY_CONTINUE: _ClassVar[WorkerLossPolicy]
ASSIGNMENT_OUTCOME_UNSPECIFIED: AssignmentOutcome
ASSIGNMENT_OUTCOME_COMPLETED: AssignmentOutcome
ASSIGNMENT_OUTCOME_STOPPED: AssignmentOutcome
ASSIGNMENT_OUTCOME_FAILED: AssignmentOutcome
ASSIGNMENT_OUTCOME_LOST: AssignmentOutcome
WORKER_LOSS_POLICY_UNSPECIFIED: WorkerLossPolicy
WORKER_LOSS_POLICY_FAIL: WorkerLossPolicy
WORKER_LOSS_POLICY_REBALANCE: WorkerLossPolicy
WORKER_LOSS_POLICY_CONTINUE: WorkerLossPolicy

class RegisterWorkerRequest(_message.Message):
    __slots__ = ("name", "capacity_bots", "version", "protocol")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BOTS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    name: str
    capacity_bots: int
    version: str
    protocol: int
    def __init__(self, name: _Optional[str] = ..., capacity_bots: _Optional[int] = ..., version: _Optional[str] = ..., protocol: _Optional[int] = ...) -> None: ...

class RegisterWorkerReply(_message.Message):
    __slots__ = ("worker_id", "session_key", "heartbeat_interval_s", "dead_man_s")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_KEY_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    DEAD_MAN_S_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    session_key: bytes
    heartbeat_interval_s: float
    dead_man_s: float
    def __init__(self, worker_id: _Optional[str] = ..., session_key: _Optional[bytes] = ..., heartbeat_interval_s: _Optional[float] = ..., dead_man_s: _Optional[float] = ...) -> None: ...

class WorkerMessage(_message.Message):
    __slots__ = ("hello", "heartbeat", "delta", "done")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    DELTA_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    hello: SessionHello
    heartbeat: Heartbeat
    delta: MetricDelta
    done: AssignmentDone
    def __init__(self, hello: _Optional[_Union[SessionHello, _Mapping]] = ..., heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., delta: _Optional[_Union[MetricDelta, _Mapping]] = ..., done: _Optional[_Union[AssignmentDone, _Mapping]] = ...) -> None: ...

class SessionHello(_message.Message):
    __slots__ = ("worker_id", "session_key")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_KEY_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    session_key: bytes
    def __init__(self, worker_id: _Optional[str] = ..., session_key: _Optional[bytes] = ...) -> None: ...

class Heartbeat(_message.Message):
    __slots__ = ("seq", "sent_at_unix_us", "schedule_lag_ms", "loop_lag_ms", "cpu_percent", "rss_bytes", "in_flight", "bots_running")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_UNIX_US_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_LAG_MS_FIELD_NUMBER: _ClassVar[int]
    LOOP_LAG_MS_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    BOTS_RUNNING_FIELD_NUMBER: _ClassVar[int]
    seq: int
    sent_at_unix_us: int
    schedule_lag_ms: float
    loop_lag_ms: float
    cpu_percent: float
    rss_bytes: int
    in_flight: int
    bots_running: int
    def __init__(self, seq: _Optional[int] = ..., sent_at_unix_us: _Optional[int] = ..., schedule_lag_ms: _Optional[float] = ..., loop_lag_ms: _Optional[float] = ..., cpu_percent: _Optional[float] = ..., rss_bytes: _Optional[int] = ..., in_flight: _Optional[int] = ..., bots_running: _Optional[int] = ...) -> None: ...

class MetricDelta(_message.Message):
    __slots__ = ("run_id", "assignment_id", "seq", "payload")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    assignment_id: str
    seq: int
    payload: bytes
    def __init__(self, run_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., seq: _Optional[int] = ..., payload: _Optional[bytes] = ...) -> None: ...

class AssignmentDone(_message.Message):
    __slots__ = ("run_id", "assignment_id", "outcome", "detail", "counters", "deltas_sent")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    DELTAS_SENT_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    assignment_id: str
    outcome: AssignmentOutcome
    detail: str
    counters: _containers.ScalarMap[str, int]
    deltas_sent: int
    def __init__(self, run_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., outcome: _Optional[_Union[AssignmentOutcome, str]] = ..., detail: _Optional[str] = ..., counters: _Optional[_Mapping[str, int]] = ..., deltas_sent: _Optional[int] = ...) -> None: ...

class CoordinatorCommand(_message.Message):
    __slots__ = ("assign", "start", "stop", "drain", "abort", "ack")
    ASSIGN_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    ABORT_FIELD_NUMBER: _ClassVar[int]
    ACK_FIELD_NUMBER: _ClassVar[int]
    assign: AssignBots
    start: StartPlan
    stop: StopBots
    drain: Drain
    abort: Abort
    ack: HeartbeatAck
    def __init__(self, assign: _Optional[_Union[AssignBots, _Mapping]] = ..., start: _Optional[_Union[StartPlan, _Mapping]] = ..., stop: _Optional[_Union[StopBots, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ..., abort: _Optional[_Union[Abort, _Mapping]] = ..., ack: _Optional[_Union[HeartbeatAck, _Mapping]] = ...) -> None: ...

class HeartbeatAck(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class ShareLevel(_message.Message):
    __slots__ = ("index", "weights")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    index: int
    weights: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, index: _Optional[int] = ..., weights: _Optional[_Iterable[int]] = ...) -> None: ...

class AssignBots(_message.Message):
    __slots__ = ("run_id", "assignment_id", "scenario_yaml", "size", "seed", "targets", "switches", "bot_first", "bot_count", "share", "plan_from_s", "resync_nonces", "scenario_name", "plan_fingerprint", "capacity_tx_per_s")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_YAML_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    BOT_FIRST_FIELD_NUMBER: _ClassVar[int]
    BOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FROM_S_FIELD_NUMBER: _ClassVar[int]
    RESYNC_NONCES_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_NAME_FIELD_NUMBER: _ClassVar[int]
    PLAN_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_TX_PER_S_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    assignment_id: str
    scenario_yaml: str
    size: str
    seed: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    switches: _containers.RepeatedScalarFieldContainer[str]
    bot_first: int
    bot_count: int
    share: _containers.RepeatedCompositeFieldContainer[ShareLevel]
    plan_from_s: float
    resync_nonces: bool
    scenario_name: str
    plan_fingerprint: str
    capacity_tx_per_s: float
    def __init__(self, run_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., scenario_yaml: _Optional[str] = ..., size: _Optional[str] = ..., seed: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., switches: _Optional[_Iterable[str]] = ..., bot_first: _Optional[int] = ..., bot_count: _Optional[int] = ..., share: _Optional[_Iterable[_Union[ShareLevel, _Mapping]]] = ..., plan_from_s: _Optional[float] = ..., resync_nonces: _Optional[bool] = ..., scenario_name: _Optional[str] = ..., plan_fingerprint: _Optional[str] = ..., capacity_tx_per_s: _Optional[float] = ...) -> None: ...

class StartPlan(_message.Message):
    __slots__ = ("run_id", "assignment_id", "start_at_unix_us")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    START_AT_UNIX_US_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    assignment_id: str
    start_at_unix_us: int
    def __init__(self, run_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., start_at_unix_us: _Optional[int] = ...) -> None: ...

class StopBots(_message.Message):
    __slots__ = ("run_id", "assignment_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    assignment_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class Drain(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class Abort(_message.Message):
    __slots__ = ("run_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DistributeScenarioRequest(_message.Message):
    __slots__ = ("run_id", "scenario_yaml", "size", "seed", "targets", "switches", "scenario_name", "min_workers", "start_delay_s", "finish_grace_s", "capacity_tx_per_s")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_YAML_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    SWITCHES_FIELD_NUMBER: _ClassVar[int]
    SCENARIO_NAME_FIELD_NUMBER: _ClassVar[int]
    MIN_WORKERS_FIELD_NUMBER: _ClassVar[int]
    START_DELAY_S_FIELD_NUMBER: _ClassVar[int]
    FINISH_GRACE_S_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_TX_PER_S_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    scenario_yaml: str
    size: str
    seed: str
    targets: _containers.RepeatedScalarFieldContainer[str]
    switches: _containers.RepeatedScalarFieldContainer[str]
    scenario_name: str
    min_workers: int
    start_delay_s: float
    finish_grace_s: float
    capacity_tx_per_s: float
    def __init__(self, run_id: _Optional[str] = ..., scenario_yaml: _Optional[str] = ..., size: _Optional[str] = ..., seed: _Optional[str] = ..., targets: _Optional[_Iterable[str]] = ..., switches: _Optional[_Iterable[str]] = ..., scenario_name: _Optional[str] = ..., min_workers: _Optional[int] = ..., start_delay_s: _Optional[float] = ..., finish_grace_s: _Optional[float] = ..., capacity_tx_per_s: _Optional[float] = ...) -> None: ...

class DistributeScenarioReply(_message.Message):
    __slots__ = ("run_id", "start_at_unix_us", "placements")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    START_AT_UNIX_US_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    start_at_unix_us: int
    placements: _containers.RepeatedCompositeFieldContainer[Placement]
    def __init__(self, run_id: _Optional[str] = ..., start_at_unix_us: _Optional[int] = ..., placements: _Optional[_Iterable[_Union[Placement, _Mapping]]] = ...) -> None: ...

class Placement(_message.Message):
    __slots__ = ("assignment_id", "worker_id", "bot_first", "bot_count", "share", "plan_from_s", "outcome", "counters")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_FIRST_FIELD_NUMBER: _ClassVar[int]
    BOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    PLAN_FROM_S_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    assignment_id: str
    worker_id: str
    bot_first: int
    bot_count: int
    share: _containers.RepeatedCompositeFieldContainer[ShareLevel]
    plan_from_s: float
    outcome: AssignmentOutcome
    counters: _containers.ScalarMap[str, int]
    def __init__(self, assignment_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., bot_first: _Optional[int] = ..., bot_count: _Optional[int] = ..., share: _Optional[_Iterable[_Union[ShareLevel, _Mapping]]] = ..., plan_from_s: _Optional[float] = ..., outcome: _Optional[_Union[AssignmentOutcome, str]] = ..., counters: _Optional[_Mapping[str, int]] = ...) -> None: ...

class GetRunStatusRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class StopRunRequest(_message.Message):
    __slots__ = ("run_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class WatchRunRequest(_message.Message):
    __slots__ = ("run_id", "interval_s")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_S_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    interval_s: float
    def __init__(self, run_id: _Optional[str] = ..., interval_s: _Optional[float] = ...) -> None: ...

class GetRunMetricsRequest(_message.Message):
    __slots__ = ("run_id", "since_version")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    since_version: int
    def __init__(self, run_id: _Optional[str] = ..., since_version: _Optional[int] = ...) -> None: ...

class MergedInterval(_message.Message):
    __slots__ = ("version", "interval", "payload")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    version: int
    interval: int
    payload: bytes
    def __init__(self, version: _Optional[int] = ..., interval: _Optional[int] = ..., payload: _Optional[bytes] = ...) -> None: ...

class LoadGap(_message.Message):
    __slots__ = ("worker_id", "bot_first", "bot_count", "share", "from_s", "to_s", "policy")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_FIRST_FIELD_NUMBER: _ClassVar[int]
    BOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    FROM_S_FIELD_NUMBER: _ClassVar[int]
    TO_S_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    bot_first: int
    bot_count: int
    share: _containers.RepeatedCompositeFieldContainer[ShareLevel]
    from_s: float
    to_s: float
    policy: str
    def __init__(self, worker_id: _Optional[str] = ..., bot_first: _Optional[int] = ..., bot_count: _Optional[int] = ..., share: _Optional[_Iterable[_Union[ShareLevel, _Mapping]]] = ..., from_s: _Optional[float] = ..., to_s: _Optional[float] = ..., policy: _Optional[str] = ...) -> None: ...

class RunStatus(_message.Message):
    __slots__ = ("run_id", "state", "degraded", "forced_verdict", "reason", "start_at_unix_us", "elapsed_s", "placements", "gaps", "counters", "notes", "policy")
    class CountersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    FORCED_VERDICT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    START_AT_UNIX_US_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_S_FIELD_NUMBER: _ClassVar[int]
    PLACEMENTS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    state: str
    degraded: bool
    forced_verdict: str
    reason: str
    start_at_unix_us: int
    elapsed_s: float
    placements: _containers.RepeatedCompositeFieldContainer[Placement]
    gaps: _containers.RepeatedCompositeFieldContainer[LoadGap]
    counters: _containers.ScalarMap[str, int]
    notes: _containers.RepeatedScalarFieldContainer[str]
    policy: str
    def __init__(self, run_id: _Optional[str] = ..., state: _Optional[str] = ..., degraded: _Optional[bool] = ..., forced_verdict: _Optional[str] = ..., reason: _Optional[str] = ..., start_at_unix_us: _Optional[int] = ..., elapsed_s: _Optional[float] = ..., placements: _Optional[_Iterable[_Union[Placement, _Mapping]]] = ..., gaps: _Optional[_Iterable[_Union[LoadGap, _Mapping]]] = ..., counters: _Optional[_Mapping[str, int]] = ..., notes: _Optional[_Iterable[str]] = ..., policy: _Optional[str] = ...) -> None: ...

class GetClusterStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkerStatus(_message.Message):
    __slots__ = ("worker_id", "name", "liveness", "capacity_bots", "last_heartbeat_age_s", "last_heartbeat", "assignment_ids")
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIVENESS_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_BOTS_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_AGE_S_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_IDS_FIELD_NUMBER: _ClassVar[int]
    worker_id: str
    name: str
    liveness: str
    capacity_bots: int
    last_heartbeat_age_s: float
    last_heartbeat: Heartbeat
    assignment_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, worker_id: _Optional[str] = ..., name: _Optional[str] = ..., liveness: _Optional[str] = ..., capacity_bots: _Optional[int] = ..., last_heartbeat_age_s: _Optional[float] = ..., last_heartbeat: _Optional[_Union[Heartbeat, _Mapping]] = ..., assignment_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ClusterStatus(_message.Message):
    __slots__ = ("workers", "runs")
    WORKERS_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    workers: _containers.RepeatedCompositeFieldContainer[WorkerStatus]
    runs: _containers.RepeatedCompositeFieldContainer[RunStatus]
    def __init__(self, workers: _Optional[_Iterable[_Union[WorkerStatus, _Mapping]]] = ..., runs: _Optional[_Iterable[_Union[RunStatus, _Mapping]]] = ...) -> None: ...

class GetBotStatusRequest(_message.Message):
    __slots__ = ("run_id", "bot_index")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    bot_index: int
    def __init__(self, run_id: _Optional[str] = ..., bot_index: _Optional[int] = ...) -> None: ...

class SpawnBotRequest(_message.Message):
    __slots__ = ("run_id", "bot_index")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    bot_index: int
    def __init__(self, run_id: _Optional[str] = ..., bot_index: _Optional[int] = ...) -> None: ...

class StopBotRequest(_message.Message):
    __slots__ = ("run_id", "bot_index")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    bot_index: int
    def __init__(self, run_id: _Optional[str] = ..., bot_index: _Optional[int] = ...) -> None: ...

class BotStatus(_message.Message):
    __slots__ = ("run_id", "bot_index", "worker_id", "assignment_id", "state")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_INDEX_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    bot_index: int
    worker_id: str
    assignment_id: str
    state: str
    def __init__(self, run_id: _Optional[str] = ..., bot_index: _Optional[int] = ..., worker_id: _Optional[str] = ..., assignment_id: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...
