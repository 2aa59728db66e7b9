"""The base of the module read models (staking, governance, bridge, ...): pydantic at the edge.

Module reads are not on the hot path, so their models are declared, not hand-parsed: a frozen
pydantic model per answer, amounts as `Amount` (PROTOCOL.md's decimal strings, parsed by
`botruntime.chain.tx.decode_amount`). A field that breaks the protocol raises
`ProtocolViolation` naming the endpoint and the field; fields a node adds are ignored.

    class Pool(WireModel):
        bonded_tokens: Amount

    pool = Pool.from_wire(answer, "GET /staking/pool")
"""

from __future__ import annotations

from typing import Annotated, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.tx import TxError, decode_amount

__all__ = ["Amount", "Count", "Flag", "Text", "WireModel", "list_from_wire"]


def _amount(value: object) -> int:
    try:
        return decode_amount(value)
    except TxError as exc:
        raise ValueError(exc.reason) from None


Amount = Annotated[int, BeforeValidator(_amount)]  # "1000000" on the wire
Count = StrictInt  # heights, ids, ppm rates: JSON numbers
Flag = StrictBool
Text = StrictStr


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_wire(cls, value: object, where: str) -> Self:
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            raise _violation(exc, where) from None


M = TypeVar("M", bound=WireModel)


def list_from_wire(cls: type[M], value: object, key: str, where: str) -> list[M]:
    """`{key: [...]}` as a list of `cls`; each item checked like `cls.from_wire`."""
    items = value.get(key) if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise ProtocolViolation(f"{where}: field {key!r} must be a list, got {items!r:.200}")
    return [cls.from_wire(item, f"{where} {key}[{i}]") for i, item in enumerate(items)]


def _violation(exc: ValidationError, where: str) -> ProtocolViolation:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(the answer)"
    got = first.get("input")
    return ProtocolViolation(
        f"{where}: field {path!r}: {first['msg']}, got {got!r:.200}", status=200
    )
