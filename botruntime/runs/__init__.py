"""A run of one scenario, from request to report."""

from botruntime.runs._executors import CoordinatorAddress
from botruntime.runs.report import (
    REPORT_VERSION,
    CriterionOutcome,
    IntervalPoint,
    ReportError,
    RunReport,
    VerdictName,
)

__all__ = [
    "REPORT_VERSION",
    "CoordinatorAddress",
    "CriterionOutcome",
    "IntervalPoint",
    "ReportError",
    "RunReport",
    "VerdictName",
]
