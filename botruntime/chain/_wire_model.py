"""The base of every chain read model: a frozen pydantic model checked at the client edge.

Every answer a client parses (core, staking, governance, bridge, markets) is declared, not
hand-parsed: one `WireModel` per answer, amounts as `Amount` (PROTOCOL.md's decimal strings,
parsed by `botruntime.chain.tx.decode_amount`). A field that breaks the protocol raises
`ProtocolViolation` naming the endpoint and the field; fields a node adds are ignored.
Validation costs about as much as the hand-written parsers it replaced (~1.5 µs for a
`SubmitResult`, built once per tx).

    class Pool(WireModel):
        bonded_tokens: Amount

    pool = Pool.from_wire(answer, "GET /staking/pool")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.tx import JsonValue, TxError, decode_amount

__all__ = [
    "Amount",
    "Count",
    "Flag",
    "JsonObject",
    "SignedAmount",
    "Text",
    "Time",
    "WireModel",
    "list_from_wire",
]


def _amount(value: object) -> int:
    try:
        return decode_amount(value)
    except TxError as exc:
        raise ValueError(exc.reason) from None


def _signed_amount(value: object) -> int:
    if isinstance(value, str) and value.startswith("-") and value != "-0":
        return -_amount(value[1:])
    return _amount(value)


def _time(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError("a time is RFC 3339 text or a number")


def _json_object(value: object) -> object:
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value  # kept as the node sent it: read by whoever asked for it


Amount = Annotated[int, BeforeValidator(_amount)]  # "1000000" on the wire
SignedAmount = Annotated[int, BeforeValidator(_signed_amount)]  # PnL, equity: "-25" allowed
Count = StrictInt  # heights, ids, ppm rates: JSON numbers
Flag = StrictBool
Text = StrictStr
Time = Annotated[str, BeforeValidator(_time)]  # passed through as the node wrote it
if TYPE_CHECKING:
    JsonObject = dict[str, JsonValue]
else:  # pydantic cannot build a schema for the recursive JsonValue: check the outer dict only
    JsonObject = Annotated[dict, PlainValidator(_json_object)]


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_wire(cls, value: object, where: str | None = None) -> Self:
        """`value` (an orjson-decoded answer) as this model; `where` names the endpoint in
        errors (default: the model's name)."""
        if not isinstance(value, dict):
            raise ProtocolViolation(
                f"{where or cls.__name__}: expected a JSON object, got {value!r:.200}", status=200
            )
        try:
            return cls.model_validate(value)
        except ValidationError as exc:
            raise _violation(exc, where or cls.__name__) from None


M = TypeVar("M", bound=WireModel)


def list_from_wire(cls: type[M], value: object, key: str, where: str) -> list[M]:
    """`{key: [...]}` as a list of `cls`; each item checked like `cls.from_wire`."""
    items = value.get(key) if isinstance(value, dict) else None
    if not isinstance(items, list):
        raise ProtocolViolation(
            f"{where}: field {key!r} must be a list, got {items!r:.200}", status=200
        )
    return [cls.from_wire(item, f"{where} {key}[{i}]") for i, item in enumerate(items)]


def _violation(exc: ValidationError, where: str) -> ProtocolViolation:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(the answer)"
    got = first.get("input")
    return ProtocolViolation(
        f"{where}: field {path!r}: {first['msg']}, got {got!r:.200}", status=200
    )
