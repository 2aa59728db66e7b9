"""A cached fast path in front of `decode_tx` for the common, well-formed transfer.

`decode_tx` parses every address with its bech32 checksum (~45 µs each on this machine), which
was a third of a node's CPU per tx. Bots reuse a small set of addresses, so `FastDecoder`
keeps the addresses `decode_tx` has already accepted and, when a tx has exactly the common
shape and every address is known, builds the same `SignedTx` without re-parsing them.
Anything else (unknown address, other message type, non-ASCII text, an odd type anywhere)
returns None and the caller falls back to `decode_tx`, which alone produces error answers.
The unit tests check that the fast path never accepts what `decode_tx` rejects, and that
both build the same tx.

Admission reads the fields as a `Decoded` tuple (`FastDecoder.parse`): building the frozen
`TxBody` and `SignedTx` of a tx costs ~2.5 µs, and the messages are the wire's own dicts (their
keys and types are checked, so they equal what `decode_tx` builds).
"""

from __future__ import annotations

import binascii
from typing import Final, NamedTuple, cast

from botruntime.chain.tx import (
    DENOMS,
    MAX_AMOUNT,
    MAX_MEMO_BYTES,
    Msg,
    SignedTx,
    TxBody,
)

__all__ = ["Decoded", "FastDecoder"]

_MAX_NONCE: Final = 2**64 - 1
_MAX_CLIENT_TX_ID: Final = 64
_KNOWN_LIMIT: Final = 1_000_000
_AMOUNT_DIGITS: Final = 39
_REQUIRED: Final = frozenset(
    {"chain_id", "sender", "nonce", "fee", "msgs", "memo", "timeout_height"}
)
_ALLOWED: Final = _REQUIRED | {"client_tx_id"}
_SEND_KEYS: Final = frozenset({"type", "to", "denom", "amount"})
_OUTPUT_KEYS: Final = frozenset({"to", "denom", "amount"})
_MULTISEND_KEYS: Final = frozenset({"type", "outputs"})


class Decoded(NamedTuple):
    """What admission reads of a decoded tx: the body's fields, the key and the signature."""

    chain_id: str
    sender: str
    nonce: int
    fee: int
    msgs: tuple[Msg, ...]
    memo: str
    timeout_height: int
    client_tx_id: str | None
    pubkey: bytes
    signature: bytes

    @classmethod
    def of(cls, tx: SignedTx) -> Decoded:
        b = tx.body
        return cls(
            b.chain_id,
            b.sender,
            b.nonce,
            b.fee,
            b.msgs,
            b.memo,
            b.timeout_height,
            b.client_tx_id,
            tx.pubkey,
            tx.signature,
        )

    def signed_tx(self) -> SignedTx:
        body = TxBody(*self[:8])
        return SignedTx(body, self.pubkey, self.signature)


class FastDecoder:
    def __init__(self) -> None:
        # addresses decode_tx accepted, each to its first str: a tx's sender comes back as that
        # one object, so the chain's many lookups by address (ledger, mempools, indexes) meet
        # the same string, its hash cached, instead of a new copy per tx
        self.known: dict[str, str] = {}
        self.pubkeys: dict[str, bytes] = {}  # base64 -> key, for keys that decoded once

    def learn(self, tx: SignedTx) -> None:
        """Remember the addresses of a tx `decode_tx` accepted."""
        known = self.known
        if len(known) > _KNOWN_LIMIT:
            known.clear()
        known.setdefault(tx.body.sender, tx.body.sender)
        for msg in tx.body.msgs:
            outputs = msg.get("outputs")
            for item in [msg, *(outputs if isinstance(outputs, list) else [])]:
                if isinstance(item, dict) and isinstance(item.get("to"), str):
                    to = str(item["to"])
                    known.setdefault(to, to)

    def decode(self, raw: object) -> SignedTx | None:
        """The tx, if it has the common shape and known addresses; None means: ask decode_tx."""
        fields = self.parse(raw)
        return None if fields is None else fields.signed_tx()

    def parse(self, raw: object) -> Decoded | None:
        """`decode`'s answer as the tuple of its fields."""
        if type(raw) is not dict or len(raw) != 3:
            return None
        body, pubkey, signature = raw.get("body"), raw.get("pubkey"), raw.get("signature")
        if type(body) is not dict or type(pubkey) is not str or type(signature) is not str:
            return None
        keys = body.keys()
        if keys == _REQUIRED:  # the required fields, no other (as a set: one comparison)
            client_tx_id = None
        elif keys == _ALLOWED:
            client_tx_id = body["client_tx_id"]
            if (
                type(client_tx_id) is not str
                or not client_tx_id.isascii()
                or not 0 < len(client_tx_id) <= _MAX_CLIENT_TX_ID
            ):
                return None
        else:
            return None
        chain_id, sender, nonce = body["chain_id"], body["sender"], body["nonce"]
        fee, msgs, memo, timeout = body["fee"], body["msgs"], body["memo"], body["timeout_height"]
        if (
            type(chain_id) is not str
            or not chain_id.isascii()
            or type(sender) is not str
            or (sender := self.known.get(sender)) is None
            or type(nonce) is not int
            or not 0 <= nonce <= _MAX_NONCE
            or type(timeout) is not int
            or not 0 <= timeout <= _MAX_NONCE
            or type(memo) is not str
            or not memo.isascii()
            or len(memo) > MAX_MEMO_BYTES
            or type(msgs) is not list
            or not msgs
        ):
            return None
        fee_value = _amount(fee)
        if fee_value is None:
            return None
        if len(msgs) == 1:  # the common transfer: its one message checked in line
            msg = msgs[0]
            if (
                type(msg) is not dict
                or msg.keys() != _SEND_KEYS
                or msg["type"] != "bank.send"
                or not self._output(msg)
            ) and not self._msg(msg):
                return None
        else:
            for msg in msgs:
                if not self._msg(msg):
                    return None
        key = self.pubkeys.get(pubkey)
        if key is None:
            key = _b64(pubkey, 32)
            if key is None:
                return None
            if len(self.pubkeys) > _KNOWN_LIMIT:
                self.pubkeys.clear()
            self.pubkeys[pubkey] = key
        sig = _b64(signature, 64)
        if sig is None:
            return None
        return Decoded(
            chain_id,
            sender,
            nonce,
            fee_value,
            cast(tuple[Msg, ...], tuple(msgs)),
            memo,
            timeout,
            client_tx_id,
            key,
            sig,
        )

    def _msg(self, msg: object) -> bool:
        if type(msg) is not dict:
            return False
        kind = msg.get("type")
        if kind == "bank.send" and msg.keys() == _SEND_KEYS:
            return self._output(msg)
        if kind == "bank.multisend" and msg.keys() == _MULTISEND_KEYS:
            outputs = msg["outputs"]
            if type(outputs) is not list or not outputs:
                return False
            for item in outputs:
                if type(item) is not dict or item.keys() != _OUTPUT_KEYS or not self._output(item):
                    return False
            return True
        return False

    def _output(self, item: dict[str, object]) -> bool:
        to, denom, amount = item["to"], item["denom"], item["amount"]
        return (
            type(to) is str
            and to in self.known
            and type(denom) is str
            and denom in DENOMS
            and _amount(amount) is not None
        )


def _amount(value: object) -> int | None:
    """A decimal string of 1 to 39 ASCII digits, no leading zero, at most MAX_AMOUNT."""
    if (
        type(value) is not str
        or not value.isdigit()  # false for "": at least one digit
        or not value.isascii()  # str.isdigit takes other scripts' digits too
        or len(value) > _AMOUNT_DIGITS
        or (value[0] == "0" and len(value) > 1)
    ):
        return None
    number = int(value)
    return number if number <= MAX_AMOUNT else None


def _b64(text: str, size: int) -> bytes | None:
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != size or binascii.b2a_base64(raw, newline=False).decode("ascii") != text:
        return None
    return raw
