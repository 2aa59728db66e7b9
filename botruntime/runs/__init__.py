"""A run of one scenario, from request to report."""

from botruntime.runs._baseline import BASELINE_WINDOW, Baseline, eligible, median_baseline
from botruntime.runs._errors import (
    AdversarialRefused,
    CapExceeded,
    ChainIdRefused,
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
    failed_to_run,
    judge_pair,
    judge_switch,
    mutation_pairs,
    select_pairs,
)
from botruntime.runs._request import testbots_home
from botruntime.runs._stack import stop_stack
from botruntime.runs._text import summary_lines
from botruntime.runs._values import Execution, RunHandle, RunSetup, TargetStatus
from botruntime.runs.report import (
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
    "REPORT_VERSION",
    "AdversarialRefused",
    "Baseline",
    "CapExceeded",
    "ChainIdRefused",
    "CoordinatorAddress",
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
    "eligible",
    "failed_to_run",
    "judge_pair",
    "judge_switch",
    "median_baseline",
    "mutation_pairs",
    "select_pairs",
    "stop_stack",
    "summary_lines",
    "testbots_home",
]
