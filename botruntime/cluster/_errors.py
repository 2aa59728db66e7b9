"""Errors of the cluster. Catch the branch you can act on.

ClusterError
├── ClusterConfigError     a flag or setting that cannot work (missing token, unreadable TLS file)
├── ProtocolViolation      a peer sent a malformed or out-of-order message (.detail)
├── ProtocolMismatch       a worker speaks another cluster protocol (.worker, .coordinator)
├── NotFound               no such run, worker, assignment or bot (.what)
├── RunStateError          the run's state machine forbids this step (.state, .wanted)
├── PlacementError         the live workers cannot hold the bots (.needed, .available)
└── CoordinatorUnavailable the control client could not reach or was refused by the coordinator
    └── CoordinatorRefused the coordinator refused the call: .reason (_refusal.REASONS),
                           .retry_after_s where the same call may succeed later
"""

from __future__ import annotations

__all__ = [
    "ClusterConfigError",
    "ClusterError",
    "CoordinatorRefused",
    "CoordinatorUnavailable",
    "NotFound",
    "PlacementError",
    "ProtocolMismatch",
    "ProtocolViolation",
    "RunStateError",
]


class ClusterError(Exception):
    """Anything the coordinator or a worker refuses or cannot do."""


class ClusterConfigError(ClusterError):
    """A setting that cannot work; the message names the flag and the fix."""


class ProtocolViolation(ClusterError):
    """A peer broke the Session contract; that stream ends, nothing else does."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ProtocolMismatch(ClusterError):
    """A worker and its coordinator speak different cluster protocols (testbots versions)."""

    def __init__(self, worker: int, coordinator: int) -> None:
        said = "an unnumbered protocol (1)" if worker == 0 else f"protocol {worker}"
        super().__init__(
            f"this worker speaks cluster {said}, the coordinator protocol {coordinator}: "
            "run the same testbots version on coordinator and workers"
        )
        self.worker = worker
        self.coordinator = coordinator


class NotFound(ClusterError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not known to this coordinator")
        self.what = what


class RunStateError(ClusterError):
    def __init__(self, run_id: str, state: str, wanted: str) -> None:
        super().__init__(f"run {run_id} is {state}; it cannot become {wanted}")
        self.state = state
        self.wanted = wanted


class PlacementError(ClusterError):
    def __init__(self, needed: int, available: int, detail: str) -> None:
        super().__init__(detail)
        self.needed = needed
        self.available = available


class CoordinatorUnavailable(ClusterError):
    """The coordinator did not answer, or answered with an error (.code names the gRPC status)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


class CoordinatorRefused(CoordinatorUnavailable):
    """The coordinator answered and refused: branch on `.reason`, not on the words."""

    def __init__(
        self, message: str, *, code: str, reason: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.reason = reason
        self.retry_after_s = retry_after_s
