"""The signed transaction of PROTOCOL.md: body, canonical JSON, signing, verification, hash, memo.

This module is the wire contract shared by the bots and simnet (the only part of `botruntime`
simnet may import), so it is strict: `decode_tx` accepts exactly what PROTOCOL.md allows and
names what is wrong otherwise. Every error carries the protocol's error `code`:

TxError                  .code, .path (where in the tx: "body.msgs[0].amount")
├── Malformed            "malformed": wrong JSON types, missing fields, bad base64
├── UnknownField         "unknown_field": a field PROTOCOL.md does not define, at any level
├── InvalidAmount        "invalid_amount": not a canonical decimal string in 0 .. 2^128-1
├── InvalidAddress       "invalid_address": not an address of this network (.reason)
├── UnknownDenom         "unknown_denom"
├── TxTooLarge           "tx_too_large": memo over 256 bytes
└── BadSignature         "bad_signature": signature or sender/pubkey mismatch
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from botruntime.identity import AddressError, Identity, address_from_pubkey, parse_address

__all__ = [
    "DENOMS",
    "MAX_AMOUNT",
    "MAX_MEMO_BYTES",
    "MSG_SCHEMAS",
    "BadSignature",
    "FieldKind",
    "InvalidAddress",
    "InvalidAmount",
    "JsonValue",
    "Malformed",
    "Memo",
    "Msg",
    "SignedTx",
    "TxBody",
    "TxError",
    "TxTooLarge",
    "UnknownDenom",
    "UnknownField",
    "bank_multisend",
    "bank_send",
    "canonical_json",
    "decode_amount",
    "decode_tx",
    "encode_amount",
    "format_memo",
    "parse_memo",
    "sign_tx",
    "tx_hash",
    "verify_tx",
]

JsonValue = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None
Msg = dict[str, JsonValue]
FieldKind = Literal["address", "denom", "amount", "uint", "str", "bool", "outputs"]

MAX_AMOUNT: Final = 2**128 - 1
MAX_NONCE: Final = 2**64 - 1
MAX_MEMO_BYTES: Final = 256
MAX_CLIENT_TX_ID: Final = 64
DENOMS: Final = frozenset({"AX", "sAX", "DX", "bAX"})

_AMOUNT_RE: Final = re.compile(r"0|[1-9][0-9]{0,38}")
_BODY_REQUIRED: Final = ("chain_id", "sender", "nonce", "fee", "msgs", "memo", "timeout_height")
_BODY_FIELDS: Final = frozenset((*_BODY_REQUIRED, "client_tx_id"))
_TX_FIELDS: Final = frozenset({"body", "pubkey", "signature"})
_OUTPUT_SCHEMA: Final[Mapping[str, FieldKind]] = {
    "to": "address",
    "denom": "denom",
    "amount": "amount",
}
_OUTPUT_KEYS: Final = frozenset(_OUTPUT_SCHEMA)

# Message types and their fields (all required). simnet's modules add their types here, so the
# decoder and the bots agree on every message shape.
MSG_SCHEMAS: Final[Mapping[str, Mapping[str, FieldKind]]] = {
    "bank.send": _OUTPUT_SCHEMA,
    "bank.multisend": {"outputs": "outputs"},
    # Delta DEX, perpetuals and oracle (SCENARIOS.md §6 "Delta")
    "dex.create_pool": {
        "denom_a": "denom",
        "denom_b": "denom",
        "amount_a": "amount",
        "amount_b": "amount",
    },
    "dex.swap": {
        "pool": "uint",
        "denom_in": "denom",
        "amount_in": "amount",
        "min_out": "amount",
        "deadline_height": "uint",
    },
    "dex.add_liquidity": {
        "pool": "uint",
        "max_a": "amount",
        "max_b": "amount",
        "min_shares": "amount",
    },
    "dex.remove_liquidity": {
        "pool": "uint",
        "shares": "amount",
        "min_a": "amount",
        "min_b": "amount",
    },
    "perps.deposit": {"amount": "amount"},
    "perps.withdraw": {"amount": "amount"},
    "perps.add_margin": {"market": "str", "amount": "amount"},
    "perps.open": {
        "market": "str",
        "side": "str",
        "size": "amount",
        "leverage": "uint",
        "limit_price": "amount",
        "reduce_only": "bool",
    },
    "perps.close": {"market": "str"},
    "perps.liquidate": {"account": "address"},
    "oracle.submit_price": {"pair": "str", "price": "amount"},
    # Alpha staking, distribution and governance (SCENARIOS.md §6 "Alpha"); rates in ppm
    "staking.delegate": {"validator": "address", "amount": "amount"},
    "staking.undelegate": {"validator": "address", "amount": "amount"},
    "staking.redelegate": {
        "src_validator": "address",
        "dst_validator": "address",
        "amount": "amount",
    },
    "distribution.withdraw_rewards": {"validator": "address"},
    "distribution.withdraw_commission": {},
    "validator.edit": {"commission_ppm": "uint"},
    "gov.submit_proposal": {"title": "str", "param": "str", "value": "str", "deposit": "amount"},
    "gov.deposit": {"proposal_id": "uint", "amount": "amount"},
    "gov.vote": {"proposal_id": "uint", "option": "str"},
    # the Alpha <-> Delta bridge: lock AX or burn bAX, then a claim carrying the attestation
    "bridge.lock": {"to": "address", "amount": "amount", "withhold": "bool"},
    "bridge.burn": {"to": "address", "amount": "amount", "withhold": "bool"},
    "bridge.claim": {
        "transfer_id": "str",
        "recipient": "address",
        "amount": "amount",
        "attestation": "str",
    },
}


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


def canonical_json(value: JsonValue) -> bytes:
    """Sorted keys, no spaces, UTF-8 unescaped: the one encoding that is signed and hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_amount(amount: int) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
        raise InvalidAmount(f"an amount is an integer in 0 .. 2^128-1, got {amount!r}")
    return str(amount)


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


@dataclass(frozen=True, slots=True)
class Memo:
    """`tb:<run_id>:<bot_index>:<intended_ts_us>`: ties an on-chain tx to the intent behind it."""

    run_id: str
    bot_index: int
    intended_ts_us: int

    def __str__(self) -> str:
        return f"tb:{self.run_id}:{self.bot_index}:{self.intended_ts_us}"


def format_memo(run_id: str, bot_index: int, intended_ts_us: int) -> str:
    if not run_id or ":" in run_id:
        raise ValueError(f"a run id is non-empty and has no ':', got {run_id!r}")
    if bot_index < 0 or intended_ts_us < 0:  # parse_memo reads digits only
        raise ValueError(
            f"bot_index and intended_ts_us are >= 0, got {bot_index}, {intended_ts_us}"
        )
    memo = str(Memo(run_id, bot_index, intended_ts_us))
    if len(memo.encode()) > MAX_MEMO_BYTES:
        raise TxTooLarge(f"memo is over {MAX_MEMO_BYTES} bytes", path="body.memo")
    return memo


def parse_memo(memo: str) -> Memo | None:
    """The testbots memo inside `memo`, or None when the tx was not sent by testbots."""
    parts = memo.split(":")
    if len(parts) != 4 or parts[0] != "tb" or not parts[1]:
        return None
    if not all(p.isascii() and p.isdigit() for p in parts[2:]):  # int("²") raises
        return None
    return Memo(parts[1], int(parts[2]), int(parts[3]))


def bank_send(to: str, amount: int, denom: str = "AX") -> Msg:
    return {"type": "bank.send", "to": to, "denom": denom, "amount": encode_amount(amount)}


def bank_multisend(outputs: Sequence[tuple[str, str, int]]) -> Msg:
    """Pay several recipients in one tx: outputs are (to, denom, amount)."""
    wire: list[JsonValue] = [
        {"to": to, "denom": denom, "amount": encode_amount(amount)} for to, denom, amount in outputs
    ]
    return {"type": "bank.multisend", "outputs": wire}


@dataclass(frozen=True, slots=True)
class TxBody:
    chain_id: str
    sender: str
    nonce: int
    fee: int
    msgs: tuple[Msg, ...]
    memo: str = ""
    timeout_height: int = 0
    client_tx_id: str | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        wire: dict[str, JsonValue] = {
            "chain_id": self.chain_id,
            "sender": self.sender,
            "nonce": self.nonce,
            "fee": encode_amount(self.fee),
            "msgs": list(self.msgs),
            "memo": self.memo,
            "timeout_height": self.timeout_height,
        }
        if self.client_tx_id is not None:
            wire["client_tx_id"] = self.client_tx_id
        return wire

    def sign_bytes(self) -> bytes:
        return canonical_json(self.to_wire())


class SignedTx:
    """A body with its public key and signature. The wire form and hash are computed once."""

    __slots__ = ("_hash", "_wire", "body", "pubkey", "signature")

    def __init__(self, body: TxBody, pubkey: bytes, signature: bytes) -> None:
        self.body = body
        self.pubkey = pubkey
        self.signature = signature
        self._wire: dict[str, JsonValue] | None = None
        self._hash: str | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        if self._wire is None:
            self._wire = {
                "body": self.body.to_wire(),
                "pubkey": base64.b64encode(self.pubkey).decode("ascii"),
                "signature": base64.b64encode(self.signature).decode("ascii"),
            }
        return self._wire

    @property
    def hash(self) -> str:
        if self._hash is None:
            self._hash = tx_hash(self.to_wire())
        return self._hash

    def __repr__(self) -> str:
        return f"<SignedTx {self.body.chain_id} {self.body.sender} nonce={self.body.nonce}>"


def tx_hash(wire_tx: JsonValue) -> str:
    """Uppercase hex sha256 of the canonical JSON of the whole `{body, pubkey, signature}`."""
    return hashlib.sha256(canonical_json(wire_tx)).hexdigest().upper()


def sign_tx(identity: Identity, body: TxBody) -> SignedTx:
    return SignedTx(body, identity.public_key, identity.sign(body.sign_bytes()))


def verify_tx(tx: SignedTx, hrp: str) -> None:
    """Raise BadSignature unless `sender` is the pubkey's `hrp` address and the signature holds."""
    if len(tx.pubkey) != 32:
        raise BadSignature(f"a public key is 32 bytes, got {len(tx.pubkey)}", path="pubkey")
    if address_from_pubkey(tx.pubkey, hrp) != tx.body.sender:
        raise BadSignature(
            f"sender {tx.body.sender} is not the '{hrp}' address of the signing key",
            path="body.sender",
        )
    try:
        VerifyKey(tx.pubkey).verify(tx.body.sign_bytes(), tx.signature)
    except CryptoError:
        raise BadSignature(
            "the signature does not verify over the body", path="signature"
        ) from None


# ---- strict decoding ---------------------------------------------------------------------------


def _object(value: object, path: str, allowed: frozenset[str]) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise Malformed(f"expected a JSON object, got {type(value).__name__}", path=path)
    extra = sorted(set(value) - allowed, key=str)  # keys of mixed types do not compare
    if extra:
        raise UnknownField(f"unknown field {extra[0]!r}; allowed: {sorted(allowed)}", path=path)
    return value


def _uint(value: object, path: str, maximum: int = MAX_NONCE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise Malformed(f"expected a JSON integer in 0 .. {maximum}, got {value!r}", path=path)
    return value


def _str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise Malformed(f"expected a string, got {type(value).__name__}", path=path)
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate: json.loads("\"\\ud800\"") makes one
            raise Malformed("expected valid UTF-8 text (a lone surrogate?)", path=path) from None
    return value


def _address(value: object, path: str, hrp: str | None) -> str:
    text = _str(value, path)
    try:
        parse_address(text, hrp)
    except AddressError as exc:
        raise InvalidAddress(f"{type(exc).__name__}: {exc}", path=path) from None
    return text


def _b64(value: object, path: str, size: int) -> bytes:
    text = _str(value, path)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Malformed("expected standard base64 with padding", path=path) from None
    if len(raw) != size or base64.b64encode(raw).decode("ascii") != text:
        raise Malformed(f"expected canonical base64 of {size} bytes", path=path)
    return raw


def _field(kind: FieldKind, value: object, path: str, hrp: str | None) -> JsonValue:
    if kind == "address":
        return _address(value, path, hrp)
    if kind == "denom":
        denom = _str(value, path)
        if denom not in DENOMS:
            raise UnknownDenom(f"unknown denom {denom!r}; one of {sorted(DENOMS)}", path=path)
        return denom
    if kind == "amount":
        decode_amount(value, path)
        return value  # type: ignore[return-value]  # checked: a canonical amount string
    if kind == "uint":
        return _uint(value, path)
    if kind == "str":
        return _str(value, path)
    if kind == "bool":
        if not isinstance(value, bool):
            raise Malformed(f"expected true or false, got {value!r}", path=path)
        return value
    if not isinstance(value, list) or not value:
        raise Malformed("expected a non-empty list of outputs", path=path)
    return [
        _msg_fields(_OUTPUT_SCHEMA, _object(o, f"{path}[{i}]", _OUTPUT_KEYS), f"{path}[{i}]", hrp)
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


def _msg(value: object, path: str, hrp: str | None) -> Msg:
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(kind, str):
        raise Malformed(
            "a message is an object with a string 'type', e.g. \"bank.send\"", path=path
        )
    schema = MSG_SCHEMAS.get(kind)
    if schema is None:
        raise Malformed(f"unknown message type {kind!r}; one of {sorted(MSG_SCHEMAS)}", path=path)
    obj = _object(value, path, frozenset(schema) | {"type"})
    return {"type": kind, **_msg_fields(schema, obj, path, hrp)}


def decode_tx(value: object, hrp: str | None = None) -> SignedTx:
    """Build a SignedTx from wire JSON, or raise the TxError that names the field and the fix.

    With `hrp`, every address must carry that prefix. The signature is not checked here
    (`verify_tx` does that), so a decoded tx may still be forged.
    """
    tx = _object(value, "tx", _TX_FIELDS)
    for name in ("body", "pubkey", "signature"):
        if name not in tx:
            raise Malformed(f"missing field {name!r}", path="tx")
    body = _object(tx["body"], "body", _BODY_FIELDS)
    for name in _BODY_REQUIRED:
        if name not in body:
            raise Malformed(f"missing field {name!r}", path="body")
    msgs = body["msgs"]
    if not isinstance(msgs, list) or not msgs:
        raise Malformed("expected a non-empty list of messages", path="body.msgs")
    memo = _str(body["memo"], "body.memo")
    if len(memo.encode()) > MAX_MEMO_BYTES:
        raise TxTooLarge(f"memo is over {MAX_MEMO_BYTES} bytes", path="body.memo")
    client_tx_id = None
    if "client_tx_id" in body:  # null is not absent: dropping it would change the sign bytes
        client_tx_id = _str(body["client_tx_id"], "body.client_tx_id")
        if not 0 < len(client_tx_id) <= MAX_CLIENT_TX_ID:
            raise Malformed(f"1 .. {MAX_CLIENT_TX_ID} characters", path="body.client_tx_id")
    decoded = TxBody(
        chain_id=_str(body["chain_id"], "body.chain_id"),
        sender=_address(body["sender"], "body.sender", hrp),
        nonce=_uint(body["nonce"], "body.nonce"),
        fee=decode_amount(body["fee"], "body.fee"),
        msgs=tuple(_msg(m, f"body.msgs[{i}]", hrp) for i, m in enumerate(msgs)),
        memo=memo,
        timeout_height=_uint(body["timeout_height"], "body.timeout_height"),
        client_tx_id=client_tx_id,
    )
    return SignedTx(
        decoded, _b64(tx["pubkey"], "pubkey", 32), _b64(tx["signature"], "signature", 64)
    )
