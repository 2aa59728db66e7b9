"""A run of one scenario, from request to report."""

from botruntime.runs._baseline import (
    BASELINE_WINDOW,
    Baseline,
    BaselineRow,
    baseline_of,
    figures_frame,
)
from botruntime.runs._capacity_store import (
    CAPACITY_SCENARIO,
    Capacity,
    capacity_of,
    find_capacity,
    latest_capacities,
    stored_capacities,
)
from botruntime.runs._errors import (
    AdversarialRefused,
    CapExceeded,
    ChainIdRefused,
    CoordinatorLost,
    RunConfigError,
    RunError,
    TargetRefused,
)
from botruntime.runs._executors import CoordinatorAddress
from botruntime.runs._mutation import (
    DetectionPower,
    MutationPair,
    PairOutcome,
    PairStatus,
    catch_all_pairs,
    failed_to_run,
    is_catch_all,
    judge_pair,
    judge_switch,
    mutation_pairs,
    select_catch_all,
    select_pairs,
)
from botruntime.runs._request import testbots_home
from botruntime.runs._stack import stop_stack
from botruntime.runs._text import summary_lines
from botruntime.runs._values import Execution, RunHandle, RunSetup, TargetStatus
from botruntime.runs.report import (
    NOT_ENFORCED,
    REPORT_VERSION,
    CriterionOutcome,
    Evidence,
    IntervalPoint,
    ReportError,
    RunReport,
    VerdictName,
)

__all__ = [
    "BASELINE_WINDOW",
    "CAPACITY_SCENARIO",
    "NOT_ENFORCED",
    "REPORT_VERSION",
    "AdversarialRefused",
    "Baseline",
    "BaselineRow",
    "CapExceeded",
    "Capacity",
    "ChainIdRefused",
    "CoordinatorAddress",
    "CoordinatorLost",
    "CriterionOutcome",
    "DetectionPower",
    "Evidence",
    "Execution",
    "IntervalPoint",
    "MutationPair",
    "PairOutcome",
    "PairStatus",
    "ReportError",
    "RunConfigError",
    "RunError",
    "RunHandle",
    "RunReport",
    "RunSetup",
    "TargetRefused",
    "TargetStatus",
    "VerdictName",
    "baseline_of",
    "capacity_of",
    "catch_all_pairs",
    "failed_to_run",
    "figures_frame",
    "find_capacity",
    "is_catch_all",
    "judge_pair",
    "judge_switch",
    "latest_capacities",
    "mutation_pairs",
    "select_catch_all",
    "select_pairs",
    "stop_stack",
    "stored_capacities",
    "summary_lines",
    "testbots_home",
]
