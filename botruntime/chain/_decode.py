"""Strict decoding of wire values: amounts, objects, strings, addresses, base64 and messages.

Each check accepts exactly what PROTOCOL.md allows or raises the TxError that names the field
(`path`) and the fix. `botruntime.chain.tx.decode_tx` assembles a whole tx from these.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Final

from botruntime.chain._msg_schemas import (
    DENOMS,
    MAX_AMOUNT,
    MAX_NONCE,
    MSG_SCHEMAS,
    OUTPUT_SCHEMA,
    FieldKind,
    JsonValue,
    Msg,
)
from botruntime.chain._tx_errors import (
    InvalidAddress,
    InvalidAmount,
    Malformed,
    UnknownDenom,
    UnknownField,
)
from botruntime.identity import AddressError, parse_address

__all__ = [
    "AMOUNT_PATTERN",
    "base64_pattern",
    "decode_address",
    "decode_amount",
    "decode_b64",
    "decode_msg",
    "decode_object",
    "decode_str",
    "decode_uint",
]

_AMOUNT_RE: Final = re.compile(r"0|[1-9][0-9]{0,38}")
_B64: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _decimal_at_most(maximum: int) -> str:
    """A regex of the canonical decimals 0 .. `maximum`: shorter numbers, then each way of
    staying at or below `maximum`'s digits from the left (a JSON Schema cannot compare)."""
    digits = str(maximum)
    shorter = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            rest = len(digits) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            same_length.append(f"{digits[:i]}[{low}-{int(d) - 1}]{tail}")
    return "|".join(["0", *shorter, *same_length, digits])


# what `decode_amount` accepts, as a regex a JSON Schema `pattern` can carry
AMOUNT_PATTERN: Final = f"^(?:{_decimal_at_most(MAX_AMOUNT)})$"
_OUTPUT_KEYS: Final = frozenset(OUTPUT_SCHEMA)


def decode_amount(text: object, path: str = "amount") -> int:
    """Parse a canonical amount: decimal digits, no sign, no leading zero, no exponent."""
    if not isinstance(text, str) or _AMOUNT_RE.fullmatch(text) is None:
        raise InvalidAmount(
            f'an amount is a string of decimal digits like "1000000", got {text!r}', path=path
        )
    value = int(text)
    if value > MAX_AMOUNT:
        raise InvalidAmount(f"{text} is above the largest amount 2^128-1", path=path)
    return value


def decode_object(value: object, path: str, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise Malformed(f"expected a JSON object, got {type(value).__name__}", path=path)
    extra = sorted(set(value) - allowed, key=str)  # keys of mixed types do not compare
    if extra:
        raise UnknownField(f"unknown field {extra[0]!r}; allowed: {sorted(allowed)}", path=path)
    return value


def decode_uint(value: object, path: str, maximum: int = MAX_NONCE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise Malformed(f"expected a JSON integer in 0 .. {maximum}, got {value!r}", path=path)
    return value


def decode_str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"expected a string, got {type(value).__name__}", path=path)
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate: json.loads("\"\\ud800\"") makes one
            raise Malformed("expected valid UTF-8 text (a lone surrogate?)", path=path) from None
    return value


def decode_address(value: object, path: str, hrp: str | None) -> str:
    text = decode_str(value, path)
    try:
        parse_address(text, hrp)
    except AddressError as exc:
        raise InvalidAddress(f"{type(exc).__name__}: {exc}", path=path) from None
    return text


def decode_b64(value: object, path: str, size: int) -> bytes:
    text = decode_str(value, path)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("expected standard base64 with padding", path=path) from None
    if len(raw) != size or base64.b64encode(raw).decode("ascii") != text:
        raise Malformed(f"expected canonical base64 of {size} bytes", path=path)
    return raw


def base64_pattern(size: int) -> str:
    """What `decode_b64(value, path, size)` accepts, as a regex: canonical padded base64 of
    exactly `size` bytes (the unused low bits of the last character are zero)."""
    chars, spare = divmod(size * 8, 6)
    if not spare:
        return f"^[A-Za-z0-9+/]{{{chars}}}$"
    step = 1 << (6 - spare)  # the last character carries `spare` bits, the rest are zero
    last = "".join(_B64[i] for i in range(0, 64, step))
    padding = "=" * (-(chars + 1) % 4)
    return f"^[A-Za-z0-9+/]{{{chars}}}[{last}]{padding}$"


def _field(kind: FieldKind, value: object, path: str, hrp: str | None) -> JsonValue:
    if kind == "address":
        return decode_address(value, path, hrp)
    if kind == "denom":
        denom = decode_str(value, path)
        if denom not in DENOMS:
            raise UnknownDenom(f"unknown denom {denom!r}; one of {sorted(DENOMS)}", path=path)
        return denom
    if kind == "amount":
        decode_amount(value, path)
        return value  # type: ignore[return-value]  # checked: a canonical amount string
    if kind == "uint":
        return decode_uint(value, path)
    if kind == "str":
        return decode_str(value, path)
    if kind == "bool":
        if not isinstance(value, bool):
            raise Malformed(f"expected true or false, got {value!r}", path=path)
        return value
    if not isinstance(value, list) or not value:
        raise Malformed("expected a non-empty list of outputs", path=path)
    return [
        _msg_fields(
            OUTPUT_SCHEMA, decode_object(o, f"{path}[{i}]", _OUTPUT_KEYS), f"{path}[{i}]", hrp
        )
        for i, o in enumerate(value)
    ]


def _msg_fields(
    schema: Mapping[str, FieldKind], obj: Mapping[str, object], path: str, hrp: str | None
) -> Msg:
    out: Msg = {}
    for name, kind in schema.items():
        if name not in obj:
            raise Malformed(f"missing field {name!r}", path=path)
        out[name] = _field(kind, obj[name], f"{path}.{name}", hrp)
    return out


def decode_msg(value: object, path: str, hrp: str | None) -> Msg:
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(kind, str):
        raise Malformed(
            "a message is an object with a string 'type', e.g. \"bank.send\"", path=path
        )
    schema = MSG_SCHEMAS.get(kind)
    if schema is None:
        raise Malformed(f"unknown message type {kind!r}; one of {sorted(MSG_SCHEMAS)}", path=path)
    obj = decode_object(value, path, frozenset(schema) | {"type"})
    return {"type": kind, **_msg_fields(schema, obj, path, hrp)}
