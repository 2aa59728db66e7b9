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

This is the public face: the message table (`_msg_schemas`), the field and message checks
(`_decode`) and the error classes (`_tx_errors`) live in private leaf modules and are
re-exported here, so importers name only `botruntime.chain.tx`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

import orjson
from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from botruntime.chain._decode import (
    AMOUNT_PATTERN,
    base64_pattern,
    decode_address,
    decode_amount,
    decode_b64,
    decode_msg,
    decode_object,
    decode_str,
    decode_uint,
)
from botruntime.chain._msg_schemas import (
    DENOMS,
    MAX_AMOUNT,
    MAX_NONCE,
    MSG_SCHEMAS,
    OUTPUT_SCHEMA,
    Denom,
    FieldKind,
    JsonValue,
    Msg,
)
from botruntime.chain._tx_errors import (
    BadSignature,
    InvalidAddress,
    InvalidAmount,
    Malformed,
    TxError,
    TxTooLarge,
    UnknownDenom,
    UnknownField,
)
from botruntime.identity import Identity, address_from_pubkey

__all__ = [
    "AMOUNT_PATTERN",
    "BODY_REQUIRED",
    "DENOMS",
    "MAX_AMOUNT",
    "MAX_CLIENT_TX_ID",
    "MAX_MEMO_BYTES",
    "MAX_NONCE",
    "MSG_SCHEMAS",
    "OUTPUT_SCHEMA",
    "TX_FIELDS",
    "BadSignature",
    "Denom",
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
    "base64_pattern",
    "canonical_json",
    "decode_amount",
    "decode_tx",
    "delegate",
    "encode_amount",
    "format_memo",
    "gov_deposit",
    "gov_vote",
    "parse_memo",
    "redelegate",
    "sign_tx",
    "submit_proposal",
    "tx_hash",
    "undelegate",
    "validator_edit",
    "verify_tx",
    "withdraw_commission",
    "withdraw_rewards",
]

MAX_MEMO_BYTES: Final = 256
MAX_CLIENT_TX_ID: Final = 64

BODY_REQUIRED: Final = ("chain_id", "sender", "nonce", "fee", "msgs", "memo", "timeout_height")
_BODY_FIELDS: Final = frozenset((*BODY_REQUIRED, "client_tx_id"))
TX_FIELDS: Final = frozenset({"body", "pubkey", "signature"})


def canonical_json(value: JsonValue) -> bytes:
    """Sorted keys, no spaces, UTF-8 unescaped: the one encoding that is signed and hashed.

    PROTOCOL.md defines it as `json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False).encode()`. orjson gives the same bytes for strings, integers, booleans,
    null, lists and string-keyed objects, ~4x faster with the check of the types (a tx is
    signed on the hot path): any other value (a float, whose text differs; a subclass; an
    integer beyond 64 bits) goes through `json.dumps` itself."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except (TypeError, orjson.JSONEncodeError):  # beyond 64 bits, or not UTF-8
            pass
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(value: object) -> bool:
    """Only str, int, bool and None, in lists, tuples and str-keyed dicts (exact types)."""
    stack: list[object] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            for key, inner in cast("dict[object, object]", item).items():
                if type(key) is not str:
                    return False
                push(inner)
        elif kind is list or kind is tuple:
            stack.extend(cast("list[object]", item))
        else:
            return False
    return True


def encode_amount(amount: int) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
        raise InvalidAmount(f"an amount is an integer in 0 .. 2^128-1, got {amount!r}")
    return str(amount)


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


# ---- Alpha staking, distribution and governance messages (SCENARIOS.md §6 "Alpha") ------------


def delegate(validator: str, amount: int) -> Msg:
    """Bond `amount` AX to `validator`; as much sAX is minted to the signer."""
    return {"type": "staking.delegate", "validator": validator, "amount": encode_amount(amount)}


def undelegate(validator: str, amount: int) -> Msg:
    """Start unbonding `amount`: as much sAX burns now, the AX comes back at maturity."""
    return {"type": "staking.undelegate", "validator": validator, "amount": encode_amount(amount)}


def redelegate(src: str, dst: str, amount: int) -> Msg:
    return {
        "type": "staking.redelegate",
        "src_validator": src,
        "dst_validator": dst,
        "amount": encode_amount(amount),
    }


def withdraw_rewards(validator: str) -> Msg:
    return {"type": "distribution.withdraw_rewards", "validator": validator}


def withdraw_commission() -> Msg:
    """The signer's validator's accrued commission (the signer is its operator)."""
    return {"type": "distribution.withdraw_commission"}


def validator_edit(commission_ppm: int) -> Msg:
    return {"type": "validator.edit", "commission_ppm": _uint(commission_ppm, "commission_ppm")}


def submit_proposal(title: str, deposit: int, param: str = "", value: int = 0) -> Msg:
    """A text proposal, or (with `param`) one that sets `param` to `value` if it passes."""
    return {
        "type": "gov.submit_proposal",
        "title": title,
        "param": param,
        "value": str(_uint(value, "value")) if param else "",
        "deposit": encode_amount(deposit),
    }


def gov_deposit(proposal_id: int, amount: int) -> Msg:
    return {
        "type": "gov.deposit",
        "proposal_id": _uint(proposal_id, "proposal_id"),
        "amount": encode_amount(amount),
    }


def gov_vote(proposal_id: int, option: str | Mapping[str, int]) -> Msg:
    """One option (`yes`, `no`, `abstain`, `no_with_veto`) or a split such as
    `{"yes": 700_000, "no": 300_000}` (ppm weights summing to 1_000_000)."""
    text = option if isinstance(option, str) else ",".join(f"{o}:{w}" for o, w in option.items())
    return {"type": "gov.vote", "proposal_id": _uint(proposal_id, "proposal_id"), "option": text}


def _uint(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} is a non-negative integer, got {value!r}")
    return value


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
    """A body with its public key and signature. The wire form and hash are computed once.

    `sign_tx` hands over what signing already computed (the body's wire form and its sign
    bytes), so the wire form does not build the body again and the hash does not encode it
    again: the canonical whole is `{"body":<sign bytes>,"pubkey":"…","signature":"…"}`
    (sorted keys; base64 needs no escaping), the same bytes `tx_hash` hashes."""

    __slots__ = ("_body_wire", "_hash", "_sign_bytes", "_wire", "body", "pubkey", "signature")

    def __init__(
        self,
        body: TxBody,
        pubkey: bytes,
        signature: bytes,
        *,
        body_wire: dict[str, JsonValue] | None = None,
        sign_bytes: bytes | None = None,
    ) -> None:
        self.body = body
        self.pubkey = pubkey
        self.signature = signature
        self._body_wire = body_wire  # body.to_wire(), when the signer had it
        self._sign_bytes = sign_bytes  # canonical_json(body_wire), idem
        self._wire: dict[str, JsonValue] | None = None
        self._hash: str | None = None

    def to_wire(self) -> dict[str, JsonValue]:
        if self._wire is None:
            body = self._body_wire
            self._wire = {
                "body": self.body.to_wire() if body is None else body,
                "pubkey": base64.b64encode(self.pubkey).decode("ascii"),
                "signature": base64.b64encode(self.signature).decode("ascii"),
            }
        return self._wire

    @property
    def hash(self) -> str:
        if self._hash is None:
            if self._sign_bytes is None:
                self._hash = tx_hash(self.to_wire())
            else:
                wire = self.to_wire()
                whole = b'{"body":%s,"pubkey":"%s","signature":"%s"}' % (
                    self._sign_bytes,
                    str(wire["pubkey"]).encode("ascii"),
                    str(wire["signature"]).encode("ascii"),
                )
                self._hash = hashlib.sha256(whole).hexdigest().upper()
        return self._hash

    def __repr__(self) -> str:
        return f"<SignedTx {self.body.chain_id} {self.body.sender} nonce={self.body.nonce}>"


def tx_hash(wire_tx: JsonValue) -> str:
    """Uppercase hex sha256 of the canonical JSON of the whole `{body, pubkey, signature}`."""
    return hashlib.sha256(canonical_json(wire_tx)).hexdigest().upper()


def sign_tx(identity: Identity, body: TxBody) -> SignedTx:
    wire = body.to_wire()
    sign_bytes = canonical_json(wire)
    return SignedTx(
        body,
        identity.public_key,
        identity.sign(sign_bytes),
        body_wire=wire,
        sign_bytes=sign_bytes,
    )


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


def decode_tx(value: object, hrp: str | None = None) -> SignedTx:
    """Build a SignedTx from wire JSON, or raise the TxError that names the field and the fix.

    With `hrp`, every address must carry that prefix. The signature is not checked here
    (`verify_tx` does that), so a decoded tx may still be forged.
    """
    tx = decode_object(value, "tx", TX_FIELDS)
    for name in ("body", "pubkey", "signature"):
        if name not in tx:
            raise Malformed(f"missing field {name!r}", path="tx")
    body = decode_object(tx["body"], "body", _BODY_FIELDS)
    for name in BODY_REQUIRED:
        if name not in body:
            raise Malformed(f"missing field {name!r}", path="body")
    msgs = body["msgs"]
    if not isinstance(msgs, list) or not msgs:
        raise Malformed("expected a non-empty list of messages", path="body.msgs")
    memo = decode_str(body["memo"], "body.memo")
    if len(memo.encode()) > MAX_MEMO_BYTES:
        raise TxTooLarge(f"memo is over {MAX_MEMO_BYTES} bytes", path="body.memo")
    client_tx_id = None
    if "client_tx_id" in body:  # null is not absent: dropping it would change the sign bytes
        client_tx_id = decode_str(body["client_tx_id"], "body.client_tx_id")
        if not 0 < len(client_tx_id) <= MAX_CLIENT_TX_ID:
            raise Malformed(f"1 .. {MAX_CLIENT_TX_ID} characters", path="body.client_tx_id")
    decoded = TxBody(
        chain_id=decode_str(body["chain_id"], "body.chain_id"),
        sender=decode_address(body["sender"], "body.sender", hrp),
        nonce=decode_uint(body["nonce"], "body.nonce"),
        fee=decode_amount(body["fee"], "body.fee"),
        msgs=tuple(decode_msg(m, f"body.msgs[{i}]", hrp) for i, m in enumerate(msgs)),
        memo=memo,
        timeout_height=decode_uint(body["timeout_height"], "body.timeout_height"),
        client_tx_id=client_tx_id,
    )
    return SignedTx(
        decoded,
        decode_b64(tx["pubkey"], "pubkey", 32),
        decode_b64(tx["signature"], "signature", 64),
    )
