"""Copies of a signed tx that keep its signature but change its bytes (A1 `replay_attack`).

Each function takes the wire form of a tx (`{"body", "pubkey", "signature"}`) and returns a new
wire value or request bytes; none re-signs. A sound node treats an encoding-only change as the
same tx (`duplicate_tx`: one canonical hash), refuses a change of meaning in the decoder
(`invalid_amount`, `unknown_field`) or at the signature (`bad_signature`), and refuses another
chain's tx (`wrong_chain`, `invalid_address`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Final

import orjson

from botruntime.chain.tx import JsonValue
from botruntime.identity import AddressError, parse_address

__all__ = [
    "ENCODINGS",
    "amount_exponent",
    "amount_leading_zero",
    "cross_chain",
    "exponent_form",
    "request_bytes",
    "reversed_keys",
    "spaced_request_bytes",
    "with_unknown_field",
]

Wire = dict[str, JsonValue]


def request_bytes(tx: JsonValue, mode: str = "sync") -> bytes:
    """The `POST /txs` body for `tx`, as the clients send it (orjson, no spaces; integers
    beyond 64 bits, which only a malformed tx holds, through the standard library)."""
    try:
        return orjson.dumps({"tx": tx, "mode": mode})
    except orjson.JSONEncodeError:
        return json.dumps({"tx": tx, "mode": mode}, separators=(",", ":")).encode()


def spaced_request_bytes(tx: JsonValue, mode: str = "sync") -> bytes:
    """The same request with whitespace everywhere JSON allows it."""
    return json.dumps({"tx": tx, "mode": mode}, indent=3, separators=(" ,  ", " :\t")).encode()


def reversed_keys(value: JsonValue) -> JsonValue:
    """Every object's keys in reverse order, at every level (the canonical form sorts them)."""
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


def _amounts(tx: Wire) -> list[dict[str, JsonValue]]:
    """The objects of `tx` that carry an `amount` (bank.send messages, multisend outputs)."""
    body = tx.get("body")
    msgs = body.get("msgs") if isinstance(body, dict) else None
    found: list[dict[str, JsonValue]] = []
    for msg in msgs if isinstance(msgs, list) else ():
        if not isinstance(msg, dict):
            continue
        if "amount" in msg:
            found.append(msg)
        outputs = msg.get("outputs")
        for out in outputs if isinstance(outputs, list) else ():
            if isinstance(out, dict) and "amount" in out:
                found.append(out)
    return found


def _with_amount(tx: Wire, rewrite: Callable[[str], str]) -> Wire:
    out = copy.deepcopy(tx)
    targets = _amounts(out)
    if not targets:
        raise ValueError("the tx carries no amount to re-encode (a bank.send or multisend has)")
    amount = targets[0]["amount"]
    if not isinstance(amount, str):
        raise ValueError(f"amounts are decimal strings on the wire, got {amount!r}")
    targets[0]["amount"] = rewrite(amount)
    return out


def amount_leading_zero(tx: Wire) -> Wire:
    """The first amount with a leading zero: "100" becomes "0100" (same number, new bytes)."""
    return _with_amount(tx, lambda amount: "0" + amount)


def exponent_form(amount: str) -> str:
    """ "100" -> "1e2", "57000000" -> "57e6", "57" -> "57e0": the same integer in exponent form."""
    digits = amount.rstrip("0") or "0"
    return f"{digits}e{len(amount) - len(digits) if digits != '0' else 0}"


def amount_exponent(tx: Wire) -> Wire:
    """The first amount written with an exponent ("100" -> "1e2")."""
    return _with_amount(tx, exponent_form)


def with_unknown_field(tx: Wire, name: str = "priority") -> Wire:
    """The body with one field PROTOCOL.md does not define (outside the signed bytes' schema)."""
    out = copy.deepcopy(tx)
    body = out.get("body")
    if not isinstance(body, dict):
        raise ValueError("a tx's body is an object")
    body[name] = 1
    return out


def _swap(value: JsonValue, src_hrp: str, dst_hrp: str) -> JsonValue:
    if isinstance(value, dict):
        return {key: _swap(item, src_hrp, dst_hrp) for key, item in value.items()}
    if isinstance(value, list):
        return [_swap(item, src_hrp, dst_hrp) for item in value]
    if isinstance(value, str) and value.startswith(src_hrp + "1"):
        try:
            return parse_address(value, src_hrp).encode(dst_hrp)
        except AddressError:
            return value
    return value


def cross_chain(
    tx: Wire,
    *,
    src_hrp: str,
    dst_hrp: str,
    dst_chain_id: str,
    addresses: bool,
    chain_id: bool,
) -> Wire:
    """`tx` made to look like the other chain's: its addresses re-encoded with the other
    prefix (same key, same account id) and/or its body's chain id replaced."""
    out: Wire = copy.deepcopy(tx)
    if addresses:
        swapped = _swap(out, src_hrp, dst_hrp)
        assert isinstance(swapped, dict)
        out = swapped
    body = out.get("body")
    if chain_id and isinstance(body, dict):
        body["chain_id"] = dst_chain_id
    return out


ENCODINGS: Final[dict[str, Callable[[Wire], bytes]]] = {
    "reordered": lambda tx: request_bytes(reversed_keys(tx)),
    "spaced": spaced_request_bytes,
    "leading_zero": lambda tx: request_bytes(amount_leading_zero(tx)),
    "exponent": lambda tx: request_bytes(amount_exponent(tx)),
    "unknown_field": lambda tx: request_bytes(with_unknown_field(tx)),
}
"""Variant (d): name -> request bytes of the re-encoded copy."""
