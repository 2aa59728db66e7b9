"""Why a run could not start.

RunError
├── RunConfigError         the request cannot run as given (exit 2): unknown size, a switch on
│                          a real network, a target string that names no chain
└── TargetRefused          the target is not one the scenario may run against (DESIGN §8)
    ├── ChainIdRefused     a chain serves an id the scenario does not name
    ├── AdversarialRefused an adversarial scenario, a target not flagged allow_adversarial
    └── CapExceeded        the plan is above the scenario's limits (bots, rate, per endpoint)
"""

__all__ = [
    "AdversarialRefused",
    "CapExceeded",
    "ChainIdRefused",
    "RunConfigError",
    "RunError",
    "TargetRefused",
]


class RunError(RuntimeError):
    pass


class RunConfigError(RunError):
    pass


class TargetRefused(RunError):
    pass


class ChainIdRefused(TargetRefused):
    pass


class AdversarialRefused(TargetRefused):
    pass


class CapExceeded(TargetRefused):
    pass
