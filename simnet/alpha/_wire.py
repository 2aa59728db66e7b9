"""Alpha's module state as JSON for `GET /simnet/export`: versioned, integers that can grow
past 2^53 as decimal strings, and every collection in its own order (iteration order decides
which unbonding matures or which address is paid first, so a round trip must keep it).

    def to_wire(self) -> JsonValue:
        return versioned({"validators": [record(v) for v in self.validators.values()]})

    def load_wire(self, wire: JsonValue) -> None:
        data = state_of(wire, self.name)
        self.validators = {w["operator"]: from_record(Validator, w) for w in data["validators"]}

`state_of` and `from_record` raise ValueError naming the module and field, which
`POST /simnet/import` answers as `malformed` (and keeps the state it had).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any, Final, TypeVar

from botruntime.chain.tx import JsonValue

__all__ = ["STATE_VERSION", "from_record", "integer", "record", "state_of", "versioned"]

STATE_VERSION: Final = 1
T = TypeVar("T")


def versioned(state: dict[str, JsonValue]) -> JsonValue:
    return {"version": STATE_VERSION, **state}


def state_of(wire: JsonValue, module: str) -> Any:
    """The state `versioned` wrapped (a dict, read as the module's `to_wire` wrote it)."""
    if not isinstance(wire, dict) or wire.get("version") != STATE_VERSION:
        raise ValueError(
            f"modules.{module}: expected the state GET /simnet/export writes "
            f"(an object with version {STATE_VERSION}), got {str(wire)[:80]}; "
            "export again from a simnet of this version"
        )
    return wire


def integer(value: object, where: str) -> int:
    """An integer written as a JSON number or a decimal string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii():
        return int(value)
    raise ValueError(f"{where}: expected an integer, got {value!r:.80}")


def record(obj: object) -> dict[str, JsonValue]:
    """A dataclass of str, bool, int and list[int] fields; ints become decimal strings."""
    out: dict[str, JsonValue] = {}
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, bool | str):
            out[f.name] = value
        elif isinstance(value, int):
            out[f.name] = str(value)
        else:
            out[f.name] = [str(v) for v in value]
    return out


def from_record(cls: type[T], wire: Mapping[str, object]) -> T:
    """The dataclass `record` wrote, each field checked against its declared type."""
    where = cls.__name__
    values: dict[str, object] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        value = wire[f.name]
        kind = str(f.type)
        if kind == "int":
            values[f.name] = integer(value, f"{where}.{f.name}")
        elif kind == "list[int]" and isinstance(value, list):
            values[f.name] = [integer(v, f"{where}.{f.name}") for v in value]
        elif isinstance(value, str | bool) and kind == type(value).__name__:
            values[f.name] = value
        else:
            raise ValueError(f"{where}.{f.name}: expected {kind}, got {value!r:.80}")
    return cls(**values)
