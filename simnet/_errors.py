"""What simnet answers when it refuses a request: one exception per protocol error code.

SimnetError                 .code, .status (HTTP), .details; the answer is
│                           {"code", "codespace", "message", "details"} (PROTOCOL.md)
├── Rejected                a request the protocol refuses (4xx): built from a TxError or named
├── Throttled               429 with Retry-After: rate_limited, mempool_full, sender_quota, quota
└── Unavailable             503 with Retry-After: admission queue full, node paused or faulty

Every `code` comes from PROTOCOL.md's closed list; `STATUS` maps each to its HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from botruntime.chain.tx import JsonValue, TxError

__all__ = ["STATUS", "Rejected", "SimnetError", "Throttled", "Unavailable", "from_tx_error"]

STATUS: Final[Mapping[str, int]] = {
    "bad_signature": 401,
    "bad_nonce": 400,
    "duplicate_tx": 409,
    "wrong_chain": 400,
    "malformed": 400,
    "unknown_field": 400,
    "invalid_amount": 400,
    "invalid_address": 400,
    "unknown_denom": 400,
    "insufficient_funds": 400,
    "insufficient_fee": 400,
    "tx_too_large": 413,
    "below_dust_limit": 400,
    "mempool_full": 429,
    "sender_quota": 429,
    "rate_limited": 429,
    "quota_exceeded": 429,
    "deadline_exceeded": 400,
    "slippage_exceeded": 400,
    "margin_insufficient": 400,
    "reduce_only_violation": 400,
    "market_halted": 409,
    "oracle_stale": 409,
    "not_liquidatable": 400,
    "already_claimed": 409,
    "voting_closed": 400,
    "height_not_reached": 409,
    "duplicate_client_id": 409,
    "not_found": 404,
    "unavailable": 503,
}

CODESPACE: Final[Mapping[str, str]] = {
    "bad_signature": "auth",
    "bad_nonce": "auth",
    "duplicate_tx": "mempool",
    "wrong_chain": "auth",
    "insufficient_funds": "bank",
    "unknown_denom": "bank",
    "below_dust_limit": "bank",
    "insufficient_fee": "fees",
    "mempool_full": "mempool",
    "sender_quota": "mempool",
    "rate_limited": "api",
    "quota_exceeded": "faucet",
    "height_not_reached": "api",
    "not_found": "api",
    "unavailable": "api",
    "duplicate_client_id": "mempool",
    "deadline_exceeded": "tx",
}


class SimnetError(Exception):
    """A refusal with a protocol error code; the HTTP layer turns it into the error answer."""

    retry_after_s: float | None = None

    def __init__(
        self, code: str, message: str, details: Mapping[str, JsonValue] | None = None
    ) -> None:
        if code not in STATUS:
            raise ValueError(f"{code!r} is not a protocol error code; one of {sorted(STATUS)}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.details: dict[str, JsonValue] = dict(details or {})

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "code": self.code,
            "codespace": CODESPACE.get(self.code, "tx"),
            "message": self.message,
            "details": self.details,
        }


class Rejected(SimnetError):
    """The request is wrong as it stands (4xx); sending it again unchanged will not help."""


class Throttled(SimnetError):
    """429: the same request may succeed after `retry_after_s`."""

    def __init__(
        self,
        code: str,
        message: str,
        details: Mapping[str, JsonValue] | None = None,
        *,
        retry_after_s: float = 1.0,
    ) -> None:
        super().__init__(code, message, details)
        self.retry_after_s = retry_after_s


class Unavailable(SimnetError):
    """503: the node sheds load or is faulty; retry after `retry_after_s`."""

    def __init__(self, message: str, *, retry_after_s: float = 1.0) -> None:
        super().__init__("unavailable", message)
        self.retry_after_s = retry_after_s


def from_tx_error(exc: TxError) -> Rejected:
    """The decoder's typed error as an answer: same code, the field path in the details."""
    return Rejected(exc.code, str(exc), {"path": exc.path} if exc.path else None)
