"""Every refusal the coordinator makes, as a gRPC status plus a machine-readable reason.

A refusal aborts the call with its gRPC code, a message for people, and two trailing-metadata
entries for programs: `testbots-reason` (one word of `REASONS`) and, where the same call may
succeed later, `retry-after` (whole seconds, as HTTP's header). The client (`refused`) turns
them back into `CoordinatorRefused` with `.reason` and `.retry_after_s`, so callers branch on
the reason, never on the words or on a gRPC code that several refusals share.

Trailing metadata, not `grpc-status-details-bin` (google.rpc.Status + ErrorInfo): every gRPC
client reads trailers with no extra package, and the only consumers are testbots' own clients;
the rich status would add grpcio-status and googleapis-common-protos to say the same two
fields.

| reason          | gRPC code           | retry | when                                          |
|-----------------|---------------------|-------|-----------------------------------------------|
| unauthenticated | UNAUTHENTICATED     |       | no or wrong cluster token (any method)        |
| invalid_request | INVALID_ARGUMENT    |       | a malformed request or Session message        |
| not_found       | NOT_FOUND           |       | no such run, worker, assignment or bot        |
| run_state       | FAILED_PRECONDITION |       | the run's state machine forbids the step      |
| placement       | FAILED_PRECONDITION | 1 s   | the live workers cannot hold the bots yet     |
| not_registered  | FAILED_PRECONDITION |       | a Session hello for a registration now gone   |
| protocol        | FAILED_PRECONDITION |       | a worker speaking another cluster protocol    |
| internal        | INTERNAL            |       | any other ClusterError (a bug in testbots)    |
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn, get_args

import grpc

from botruntime.cluster._errors import (
    ClusterError,
    CoordinatorRefused,
    NotFound,
    PlacementError,
    ProtocolMismatch,
    ProtocolViolation,
    RunStateError,
)

__all__ = [
    "REASONS",
    "REASON_KEY",
    "RETRY_AFTER_KEY",
    "Reason",
    "refusal_metadata",
    "refuse",
    "refuse_error",
    "refused",
]

Reason = Literal[
    "unauthenticated",
    "invalid_request",
    "not_found",
    "run_state",
    "placement",
    "not_registered",
    "protocol",
    "internal",
]
REASON_KEY: Final = "testbots-reason"
RETRY_AFTER_KEY: Final = "retry-after"


@dataclass(frozen=True, slots=True)
class _Rule:
    code: Any  # grpc.StatusCode
    retry_after_s: float | None = None


REASONS: Final[dict[str, _Rule]] = {
    "unauthenticated": _Rule(grpc.StatusCode.UNAUTHENTICATED),
    "invalid_request": _Rule(grpc.StatusCode.INVALID_ARGUMENT),
    "not_found": _Rule(grpc.StatusCode.NOT_FOUND),
    "run_state": _Rule(grpc.StatusCode.FAILED_PRECONDITION),
    "placement": _Rule(grpc.StatusCode.FAILED_PRECONDITION, retry_after_s=1.0),
    "not_registered": _Rule(grpc.StatusCode.FAILED_PRECONDITION),
    "protocol": _Rule(grpc.StatusCode.FAILED_PRECONDITION),
    "internal": _Rule(grpc.StatusCode.INTERNAL),
}
assert set(REASONS) == set(get_args(Reason))

_OF_ERROR: Final[tuple[tuple[type[ClusterError], Reason], ...]] = (
    (NotFound, "not_found"),
    (ProtocolMismatch, "protocol"),
    (ProtocolViolation, "invalid_request"),
    (PlacementError, "placement"),
    (RunStateError, "run_state"),
)


def refusal_metadata(reason: Reason) -> tuple[tuple[str, str], ...]:
    retry = REASONS[reason].retry_after_s
    entries: tuple[tuple[str, str], ...] = ((REASON_KEY, reason),)
    if retry is not None:
        entries += ((RETRY_AFTER_KEY, str(max(1, math.ceil(retry)))),)
    return entries


async def refuse(context: Any, reason: Reason, message: str) -> NoReturn:
    """Abort the call (a servicer context) with `reason`'s code, `message` and the trailers."""
    await context.abort(REASONS[reason].code, message, trailing_metadata=refusal_metadata(reason))
    raise AssertionError("grpc's abort raises")  # pragma: no cover


async def refuse_error(context: Any, exc: ClusterError) -> NoReturn:
    """A domain error as its refusal (anything unlisted is `internal`)."""
    reason: Reason = next((r for kind, r in _OF_ERROR if isinstance(exc, kind)), "internal")
    await refuse(context, reason, str(exc))


def refused(exc: Any, address: str, message: str) -> CoordinatorRefused | None:
    """The typed refusal an `AioRpcError` carries, or None when the coordinator did not
    refuse (no `testbots-reason` trailer: unreachable, deadline, cancelled)."""
    trailers: Sequence[tuple[str, Any]] = exc.trailing_metadata() or ()
    found = dict((k, v) for k, v in trailers if isinstance(v, str))
    reason = found.get(REASON_KEY)
    if reason not in REASONS:
        return None
    retry = found.get(RETRY_AFTER_KEY, "")
    return CoordinatorRefused(
        f"{address}: {message}",
        code=exc.code().name,
        reason=reason,
        retry_after_s=float(retry) if retry.isdigit() else None,
    )
