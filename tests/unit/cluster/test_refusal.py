"""Each refusal's gRPC code and trailers, and the client's typed error read back from them."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from botruntime.cluster import (
    ClusterError,
    CoordinatorRefused,
    NotFound,
    PlacementError,
    ProtocolMismatch,
    ProtocolViolation,
    RunStateError,
)
from botruntime.cluster._refusal import (
    REASON_KEY,
    REASONS,
    RETRY_AFTER_KEY,
    refusal_metadata,
    refuse_error,
    refused,
)

pytestmark = pytest.mark.anyio


class _Aborted(Exception):
    pass


class _Context:
    """A servicer context that records what abort was given."""

    def __init__(self) -> None:
        self.code: Any = None
        self.details = ""
        self.trailers: tuple[tuple[str, str], ...] = ()

    async def abort(self, code: Any, details: str, trailing_metadata: Any = ()) -> None:
        self.code, self.details, self.trailers = code, details, tuple(trailing_metadata)
        raise _Aborted


class _RpcError:
    """What the client sees: grpc.aio.AioRpcError's three accessors."""

    def __init__(self, context: _Context) -> None:
        self._context = context

    def code(self) -> Any:
        return self._context.code

    def details(self) -> str:
        return self._context.details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._context.trailers


@pytest.mark.parametrize(
    ("error", "reason", "code", "retry"),
    [
        (NotFound("run 'r1'"), "not_found", grpc.StatusCode.NOT_FOUND, None),
        (ProtocolViolation("bad"), "invalid_request", grpc.StatusCode.INVALID_ARGUMENT, None),
        (ProtocolMismatch(0, 2), "protocol", grpc.StatusCode.FAILED_PRECONDITION, None),
        (PlacementError(3, 1, "1 live"), "placement", grpc.StatusCode.FAILED_PRECONDITION, 1.0),
        (
            RunStateError("r1", "stopped", "running"),
            "run_state",
            grpc.StatusCode.FAILED_PRECONDITION,
            None,
        ),
        (ClusterError("a bug"), "internal", grpc.StatusCode.INTERNAL, None),
    ],
)
async def test_each_domain_error_is_refused_with_its_reason_and_read_back_typed(
    error: ClusterError, reason: str, code: Any, retry: float | None
) -> None:
    context = _Context()
    with pytest.raises(_Aborted):
        await refuse_error(context, error)
    assert context.code == code and context.details == str(error)
    assert dict(context.trailers)[REASON_KEY] == reason
    back = refused(_RpcError(context), "c:7470", context.details)
    assert isinstance(back, CoordinatorRefused)
    assert (back.reason, back.code, back.retry_after_s) == (reason, code.name, retry)
    assert str(back) == f"c:7470: {error}"


def test_retry_after_is_sent_only_where_the_same_call_may_succeed_later() -> None:
    with_retry = {r for r in REASONS if RETRY_AFTER_KEY in dict(refusal_metadata(r))}  # type: ignore[arg-type]
    assert with_retry == {"placement"}
    assert dict(refusal_metadata("placement"))[RETRY_AFTER_KEY] == "1"


def test_an_error_without_a_known_reason_is_not_a_refusal() -> None:
    context = _Context()
    context.code = grpc.StatusCode.UNAVAILABLE
    assert refused(_RpcError(context), "c:7470", "down") is None
    context.trailers = ((REASON_KEY, "made_up"),)
    assert refused(_RpcError(context), "c:7470", "down") is None
