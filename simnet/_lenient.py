"""The `lenient_decode` switch: what a sloppy decoder accepts (A4 `malformed_fuzz`).

It drops unknown fields at every level and reads amounts the way a careless parser does:
JSON numbers, floats, exponents, leading zeros and signs. Negative amounts survive as
`overrides` (path -> value), which is exactly the weakness the switch opens.
"""

from __future__ import annotations

import math
from typing import Final

from botruntime.chain.tx import MSG_SCHEMAS, JsonValue

__all__ = ["normalize"]

_TX: Final = ("body", "pubkey", "signature")
_BODY: Final = (
    "chain_id",
    "sender",
    "nonce",
    "fee",
    "msgs",
    "memo",
    "timeout_height",
    "client_tx_id",
)
_OUTPUT: Final = ("to", "denom", "amount")


def normalize(raw: object) -> tuple[object, dict[str, int]]:
    """A copy of `raw` that the strict decoder accepts when a lenient one would, and overrides."""
    overrides: dict[str, int] = {}
    if not isinstance(raw, dict):
        return raw, overrides
    tx = _keep(raw, _TX)
    body = tx.get("body")
    if not isinstance(body, dict):
        return tx, overrides
    body = _keep(body, _BODY)
    if "fee" in body:
        body["fee"] = _amount(body["fee"], "body.fee", overrides)
    msgs = body.get("msgs")
    if isinstance(msgs, list):
        body["msgs"] = [_msg(m, f"body.msgs[{i}]", overrides) for i, m in enumerate(msgs)]
    tx["body"] = body
    return tx, overrides


def _keep(obj: dict[str, JsonValue], fields: tuple[str, ...]) -> dict[str, JsonValue]:
    return {k: v for k, v in obj.items() if k in fields}


def _msg(msg: JsonValue, path: str, overrides: dict[str, int]) -> JsonValue:
    if not isinstance(msg, dict) or msg.get("type") not in MSG_SCHEMAS:
        return msg
    kind = msg["type"]
    assert isinstance(kind, str)
    out = _keep(msg, ("type", *MSG_SCHEMAS[kind]))
    if "amount" in out:
        out["amount"] = _amount(out["amount"], f"{path}.amount", overrides)
    outputs = out.get("outputs")
    if isinstance(outputs, list):
        fixed: list[JsonValue] = []
        for j, o in enumerate(outputs):
            if isinstance(o, dict):
                o = _keep(o, _OUTPUT)
                if "amount" in o:
                    o["amount"] = _amount(o["amount"], f"{path}.outputs[{j}].amount", overrides)
            fixed.append(o)
        out["outputs"] = fixed
    return out


def _amount(value: JsonValue, path: str, overrides: dict[str, int]) -> JsonValue:
    number: int | None = None
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value):
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            try:
                as_float = float(value)
            except ValueError:
                return value
            if not math.isfinite(as_float):
                return value
            number = int(as_float)
    if number is None:
        return value
    if number < 0:
        overrides[path] = number
        return "0"
    return str(number)
