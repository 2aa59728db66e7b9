"""A run of one scenario, from request to report."""

from botruntime.runs._baseline import BASELINE_WINDOW, Baseline, eligible, median_baseline
from botruntime.runs._errors import RunConfigError, RunError, TargetRefused
from botruntime.runs._executors import CoordinatorAddress
from botruntime.runs._request import testbots_home
from botruntime.runs._stack import stop_stack
from botruntime.runs._text import summary_lines
from botruntime.runs._values import Execution, RunHandle, RunSetup, TargetStatus
from botruntime.runs.report import (
    REPORT_VERSION,
    CriterionOutcome,
    IntervalPoint,
    ReportError,
    RunReport,
    VerdictName,
)

__all__ = [
    "BASELINE_WINDOW",
    "REPORT_VERSION",
    "Baseline",
    "CoordinatorAddress",
    "CriterionOutcome",
    "Execution",
    "IntervalPoint",
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
    "median_baseline",
    "stop_stack",
    "summary_lines",
    "testbots_home",
]
