"""Errors raised while building load plans. Catch the branch you can act on.

LoadError
└── PlanError        a plan's parameters cannot make a schedule (.field)
    └── TraceError   a trace file is unreadable, or a row is malformed or out of order
                     (.path, .line)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["LoadError", "PlanError", "TraceError"]


class LoadError(Exception):
    """The load side of a run cannot go on as asked."""


class PlanError(LoadError, ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class TraceError(PlanError):
    def __init__(self, message: str, *, path: Path, line: int) -> None:
        super().__init__(message, field=f"{path}:{line}")
        self.path = path
        self.line = line
