"""Errors raised by the chain clients. Catch the branch you can act on.

ChainError
├── Unreachable            no answer: connect error, timeout, 503 (.retry_after_s)
├── ProtocolViolation      an answer PROTOCOL.md does not allow: not JSON, wrong shape, a 5xx
│                          other than 503 (.status); a bug on the other side, never retried
├── NotCommitted           a tx was not seen in a block before the deadline (.tx_hash, .last)
└── Rejected               an answer with a protocol code (.code, .details, .status, .message)
    ├── BadNonce           .expected: the account's next nonce
    ├── DuplicateTx        this exact signed tx is already known
    ├── DuplicateClientId  this client_tx_id was used before
    ├── InvalidTx          the tx will never be accepted as it is: fix it, do not resend it
    │   ├── BadSignature, WrongChain, Malformed, UnknownField, InvalidAmount,
    │   └── InvalidAddress, UnknownDenom, TxTooLarge, BelowDustLimit
    ├── InsufficientFunds
    ├── InsufficientFee
    ├── Throttled          the node is busy: the same signed tx may be sent later (.retry_after_s)
    │   ├── RateLimited    429, keyed on X-Client-Id
    │   ├── MempoolFull
    │   ├── SenderQuota    too many pending txs from this sender
    │   └── QuotaExceeded  a faucet or other quota
    ├── HeightNotReached   the node is behind the X-Min-Height asked for
    ├── NotFound
    └── Rejected           any other code (slippage_exceeded, market_halted, ...): read .code

`error_from_answer` is the one place that turns an error answer into one of these; only the
transport edge (`botruntime.chain._edge`) calls it. Transports raise `Unreachable` themselves
when there is no answer at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import orjson

from botruntime.chain.tx import JsonValue

__all__ = [
    "BadNonce",
    "BadSignature",
    "BelowDustLimit",
    "ChainError",
    "DuplicateClientId",
    "DuplicateTx",
    "HeightNotReached",
    "InsufficientFee",
    "InsufficientFunds",
    "InvalidAddress",
    "InvalidAmount",
    "InvalidTx",
    "Malformed",
    "MempoolFull",
    "NotCommitted",
    "NotFound",
    "ProtocolViolation",
    "QuotaExceeded",
    "RateLimited",
    "Rejected",
    "SenderQuota",
    "Throttled",
    "TxTooLarge",
    "UnknownDenom",
    "UnknownField",
    "Unreachable",
    "WrongChain",
    "error_from_answer",
]


class ChainError(Exception):
    """Anything that kept a chain call from giving its result."""


class Unreachable(ChainError):
    """No answer: the connection failed, the call timed out, or the node said 503."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ProtocolViolation(ChainError):
    """An answer that breaks PROTOCOL.md: a bug in the node (or in this client), not load."""

    def __init__(self, message: str, *, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class NotCommitted(ChainError):
    """A tx was still not committed (nor failed) when the wait's deadline passed."""

    def __init__(self, message: str, *, tx_hash: str, last: str) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.last = last


class Rejected(ChainError):
    """The node answered with a protocol error code; subclasses are the codes one can act on."""

    code: str = ""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: Mapping[str, JsonValue] | None = None,
        status: int = 400,
        codespace: str = "",
    ) -> None:
        resolved = code or type(self).code or "unknown"
        super().__init__(f"{resolved}: {message}")
        self.code = resolved
        self.message = message
        self.details: Mapping[str, JsonValue] = details or {}
        self.status = status
        self.codespace = codespace


class BadNonce(Rejected):
    """The nonce is below the account's next one (or too far ahead); `.expected` is the next."""

    code = "bad_nonce"

    def __init__(
        self, message: str, *, expected: int, status: int = 400, codespace: str = ""
    ) -> None:
        super().__init__(
            message, details={"expected": expected}, status=status, codespace=codespace
        )
        self.expected = expected


class DuplicateTx(Rejected):
    code = "duplicate_tx"


class DuplicateClientId(Rejected):
    code = "duplicate_client_id"


class InvalidTx(Rejected):
    """The tx is wrong in itself; sending it again can only give the same answer."""


class BadSignature(InvalidTx):
    code = "bad_signature"


class WrongChain(InvalidTx):
    code = "wrong_chain"


class Malformed(InvalidTx):
    code = "malformed"


class UnknownField(InvalidTx):
    code = "unknown_field"


class InvalidAmount(InvalidTx):
    code = "invalid_amount"


class InvalidAddress(InvalidTx):
    code = "invalid_address"


class UnknownDenom(InvalidTx):
    code = "unknown_denom"


class TxTooLarge(InvalidTx):
    code = "tx_too_large"


class BelowDustLimit(InvalidTx):
    code = "below_dust_limit"


class InsufficientFunds(Rejected):
    code = "insufficient_funds"


class InsufficientFee(Rejected):
    code = "insufficient_fee"


class Throttled(Rejected):
    """The node is busy or a quota is spent; the same signed tx may be sent again later."""

    def __init__(
        self,
        message: str,
        *,
        retry_after_s: float | None = None,
        details: Mapping[str, JsonValue] | None = None,
        status: int = 429,
        codespace: str = "",
    ) -> None:
        super().__init__(message, details=details, status=status, codespace=codespace)
        self.retry_after_s = retry_after_s


class RateLimited(Throttled):
    code = "rate_limited"


class MempoolFull(Throttled):
    code = "mempool_full"


class SenderQuota(Throttled):
    code = "sender_quota"


class QuotaExceeded(Throttled):
    code = "quota_exceeded"


class HeightNotReached(Rejected):
    code = "height_not_reached"


class NotFound(Rejected):
    code = "not_found"


_BY_CODE: Final[Mapping[str, type[Rejected]]] = {
    cls.code: cls
    for cls in (
        DuplicateTx,
        DuplicateClientId,
        BadSignature,
        WrongChain,
        Malformed,
        UnknownField,
        InvalidAmount,
        InvalidAddress,
        UnknownDenom,
        TxTooLarge,
        BelowDustLimit,
        InsufficientFunds,
        InsufficientFee,
        HeightNotReached,
        NotFound,
    )
}
_THROTTLED: Final[Mapping[str, type[Throttled]]] = {
    cls.code: cls for cls in (RateLimited, MempoolFull, SenderQuota, QuotaExceeded)
}


def _where(method: str, path: str) -> str:
    return f"{method} {path}" if method else path


def error_from_answer(
    status: int,
    body: bytes,
    *,
    retry_after_s: float | None = None,
    method: str = "",
    path: str = "",
) -> ChainError:
    """The exception for a non-2xx answer (`status`, raw `body`), per PROTOCOL.md § Errors."""
    where = _where(method, path)
    try:
        payload = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        payload = None
    code = payload.get("code") if isinstance(payload, dict) else None
    if status == 503 or code == "unavailable":
        return Unreachable(
            f"{where} answered {status} unavailable; retry after {retry_after_s or 'a while'} s",
            retry_after_s=retry_after_s,
        )
    if status == 429 and not isinstance(code, str):
        code, payload = "rate_limited", {"message": "429 without an error object"}
    if not isinstance(payload, dict) or not isinstance(code, str) or not code:
        return ProtocolViolation(
            f"{where} answered {status} without an error object "
            f'{{"code", "codespace", "message", "details"}}: {body[:200]!r}',
            status=status,
        )
    if status >= 500:
        return ProtocolViolation(
            f"{where} answered {status} {code}: a 5xx other than 503 is a bug in the node",
            status=status,
        )
    raw_details = payload.get("details")
    details: dict[str, JsonValue] = raw_details if isinstance(raw_details, dict) else {}
    message = str(payload.get("message") or code)
    codespace = str(payload.get("codespace") or "")
    if code == "bad_nonce":
        expected = details.get("expected")
        if isinstance(expected, bool) or not isinstance(expected, int):
            return ProtocolViolation(
                f"{where}: bad_nonce without an integer details.expected: {body[:200]!r}",
                status=status,
            )
        return BadNonce(message, expected=expected, status=status, codespace=codespace)
    throttled = _THROTTLED.get(code)
    if throttled is not None:
        return throttled(
            message,
            retry_after_s=retry_after_s,
            details=details,
            status=status,
            codespace=codespace,
        )
    cls = _BY_CODE.get(code, Rejected)
    return cls(message, code=code, details=details, status=status, codespace=codespace)
