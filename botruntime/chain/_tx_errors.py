"""The TxError tree of the wire format, drawn in `botruntime.chain.tx` (which re-exports it).

A leaf module, so that the strict decoder and the signing side raise the same classes.
"""

from __future__ import annotations

__all__ = [
    "BadSignature",
    "InvalidAddress",
    "InvalidAmount",
    "Malformed",
    "TxError",
    "TxTooLarge",
    "UnknownDenom",
    "UnknownField",
]


class TxError(ValueError):
    """A transaction the protocol does not accept; `.code` is the protocol error code."""

    code: str = "malformed"

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


class Malformed(TxError):
    code = "malformed"


class UnknownField(TxError):
    code = "unknown_field"


class InvalidAmount(TxError):
    code = "invalid_amount"


class InvalidAddress(TxError):
    code = "invalid_address"


class UnknownDenom(TxError):
    code = "unknown_denom"


class TxTooLarge(TxError):
    code = "tx_too_large"


class BadSignature(TxError):
    code = "bad_signature"
