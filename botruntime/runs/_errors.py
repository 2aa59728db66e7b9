"""Why a run could not start.

RunError
├── RunConfigError     the request cannot run as given (exit 2): unknown size, a switch on a
│                      real network, a target string that names no chain
└── TargetRefused      the target is not one the scenario may run against (DESIGN §8)
"""

__all__ = ["RunConfigError", "RunError", "TargetRefused"]


class RunError(RuntimeError):
    pass


class RunConfigError(RunError):
    pass


class TargetRefused(RunError):
    pass
