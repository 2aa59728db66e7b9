"""Why a run could not start, or could not be followed to its end.

RunError
├── RunConfigError         the request cannot run as given (exit 2): unknown size, a switch on
│                          a real network, a target string that names no chain
└── TargetRefused          the target is not one the scenario may run against (DESIGN §8)
    ├── ChainIdRefused     a chain serves an id the scenario does not name
    ├── AdversarialRefused an adversarial scenario, a target not flagged allow_adversarial
│   └── CapExceeded        the plan is above the scenario's limits (bots, rate, per endpoint)
└── CoordinatorLost        the run's coordinator went silent mid-run (the run is INCONCLUSIVE)
"""

__all__ = [
    "AdversarialRefused",
    "CapExceeded",
    "ChainIdRefused",
    "CoordinatorLost",
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


class CoordinatorLost(RunError):
    """The coordinator following a run stopped answering for longer than the workers' dead-man
    interval (`silent_s`): the run's bots have stopped, and what happened after its last
    answer is not known. The run ends INCONCLUSIVE with this as its cause."""

    def __init__(self, message: str, *, silent_s: float) -> None:
        super().__init__(message)
        self.silent_s = silent_s
