"""What the chain answers, as typed values: wire dicts become these at the client edge.

Plain slotted dataclasses built from orjson-decoded dicts: cheap enough for the hot path
(a submit result is built once per tx). A field that breaks PROTOCOL.md raises
`ProtocolViolation` naming the endpoint and the field. Amounts are ints (base units), parsed
with `botruntime.chain.tx.decode_amount`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal, cast

from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.tx import JsonValue, TxError, decode_amount

__all__ = [
    "Account",
    "Block",
    "BlockTx",
    "FaucetResult",
    "Health",
    "MempoolStats",
    "Params",
    "PendingTx",
    "Simulation",
    "Status",
    "SubmitResult",
    "SubmitStatus",
    "TxState",
    "TxStatus",
    "balances_from_wire",
]

SubmitStatus = Literal["pending", "queued_future", "committed"]
TxState = Literal["pending", "queued_future", "committed", "failed", "unknown"]
_SUBMIT_STATUSES: Final = frozenset({"pending", "queued_future", "committed"})
_TX_STATES: Final = frozenset({"pending", "queued_future", "committed", "failed", "unknown"})

Wire = Mapping[str, object]


def _bad(where: str, key: str, want: str, got: object) -> ProtocolViolation:
    return ProtocolViolation(f"{where}: field {key!r} must be {want}, got {got!r}", status=200)


def _object(value: object, where: str) -> Wire:
    if not isinstance(value, dict):
        raise ProtocolViolation(f"{where}: expected a JSON object, got {value!r:.200}", status=200)
    return value


def _str(d: Wire, key: str, where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str):
        raise _bad(where, key, "a string", value)
    return value


def _int(d: Wire, key: str, where: str) -> int:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(where, key, "an integer", value)
    return value


def _opt_int(d: Wire, key: str, where: str) -> int | None:
    return None if d.get(key) is None else _int(d, key, where)


def _amounts(value: object, where: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise _bad(where, "balances", "an object {denom: amount}", value)
    try:
        return {denom: decode_amount(text, f"balances.{denom}") for denom, text in value.items()}
    except TxError as exc:
        raise ProtocolViolation(f"{where}: {exc}", status=200) from None


def _choice(d: Wire, key: str, allowed: frozenset[str], where: str) -> str:
    value = d.get(key)
    if not isinstance(value, str) or value not in allowed:
        raise _bad(where, key, f"one of {sorted(allowed)}", value)
    return value


def _time(d: Wire, key: str, where: str) -> str:
    """Times are passed through as the node wrote them (RFC 3339 text or a number)."""
    value = d.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _bad(where, key, "a time", value)


@dataclass(frozen=True, slots=True)
class Status:
    chain_id: str
    node_id: str
    height: int
    time: str
    catching_up: bool
    block_time_ms: int | None

    @classmethod
    def from_wire(cls, value: object) -> Status:
        d = _object(value, "GET /status")
        w = "GET /status"
        catching_up = d.get("catching_up")
        if not isinstance(catching_up, bool):
            raise _bad(w, "catching_up", "true or false", catching_up)
        return cls(
            chain_id=_str(d, "chain_id", w),
            node_id=str(d.get("node_id", "")),
            height=_int(d, "height", w),
            time=_time(d, "time", w),
            catching_up=catching_up,
            block_time_ms=_opt_int(d, "block_time_ms", w),
        )


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool

    @classmethod
    def from_wire(cls, value: object) -> Health:
        d = _object(value, "GET /health")
        ok = d.get("ok")
        if not isinstance(ok, bool):
            raise _bad("GET /health", "ok", "true or false", ok)
        return cls(ok)


@dataclass(frozen=True, slots=True)
class Account:
    address: str
    nonce: int  # the next nonce this account must sign with
    pubkey: str | None  # base64, None until the account has sent a tx
    balances: dict[str, int]

    def balance(self, denom: str) -> int:
        return self.balances.get(denom, 0)

    @classmethod
    def from_wire(cls, value: object) -> Account:
        w = "GET /accounts/{addr}"
        d = _object(value, w)
        pubkey = d.get("pubkey")
        if pubkey is not None and not isinstance(pubkey, str):
            raise _bad(w, "pubkey", "base64 text or null", pubkey)
        return cls(
            address=_str(d, "address", w),
            nonce=_int(d, "nonce", w),
            pubkey=pubkey,
            balances=_amounts(d.get("balances"), w),
        )


def balances_from_wire(value: object) -> dict[str, int]:
    """`GET /accounts/{addr}/balances`: `{denom: amount}`, bare or under "balances"."""
    w = "GET /accounts/{addr}/balances"
    d = _object(value, w)
    inner = d.get("balances", d)
    return _amounts(inner, w)


@dataclass(frozen=True, slots=True)
class Block:
    height: int
    time: str
    hash: str
    prev_hash: str
    txs: tuple[str, ...]  # tx hashes, in block order

    @classmethod
    def from_wire(cls, value: object) -> Block:
        w = "GET /blocks/{height}"
        d = _object(value, w)
        txs = d.get("txs")
        if not isinstance(txs, list) or not all(isinstance(h, str) for h in txs):
            raise _bad(w, "txs", "a list of tx hashes", txs)
        return cls(
            height=_int(d, "height", w),
            time=_time(d, "time", w),
            hash=_str(d, "hash", w),
            prev_hash=_str(d, "prev_hash", w),
            txs=tuple(cast(list[str], txs)),
        )


@dataclass(frozen=True, slots=True)
class BlockTx:
    """One entry of `GET /blocks/{height}/txs`: a tx in block order, and its outcome.

    `code` is "ok" when its messages took effect, else why they failed at execution: the tx
    is in the block all the same, so its fee was charged and its nonce spent.
    """

    hash: str
    index: int
    tx: dict[str, JsonValue]  # the wire tx (or the faucet credit) as the block holds it
    code: str

    @property
    def ok(self) -> bool:
        return self.code == "ok"

    @classmethod
    def from_wire(cls, value: object) -> BlockTx:
        w = "GET /blocks/{height}/txs"
        d = _object(value, w)
        tx = d.get("tx")
        if not isinstance(tx, dict):
            raise _bad(w, "tx", "the wire tx (an object)", tx)
        code = d.get("code", "ok")  # a node that predates outcomes only lists what took effect
        if not isinstance(code, str):
            raise _bad(w, "code", '"ok" or a failure code', code)
        return cls(_str(d, "hash", w), _int(d, "index", w), cast(dict[str, JsonValue], tx), code)


@dataclass(frozen=True, slots=True)
class TxStatus:
    hash: str
    status: TxState
    height: int | None
    # why it failed: with a height, at execution in that block (its fee charged, its nonce
    # spent, its messages undone); without one, it left the mempools and never entered a block
    code: str | None

    @property
    def final(self) -> bool:
        return self.status in ("committed", "failed")

    @property
    def included(self) -> bool:
        """In a block, so its nonce is spent, whether or not its messages took effect."""
        return self.status == "committed" or (self.status == "failed" and self.height is not None)

    @classmethod
    def from_wire(cls, value: object) -> TxStatus:
        w = "GET /txs/{hash}"
        d = _object(value, w)
        code = d.get("code")
        if code is not None and not isinstance(code, str):
            raise _bad(w, "code", "a string", code)
        return cls(
            hash=_str(d, "hash", w),
            status=cast(TxState, _choice(d, "status", _TX_STATES, w)),
            height=_opt_int(d, "height", w),
            code=code,
        )


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The answer to `POST /txs`. `code` is "ok", or "duplicate_tx" when a retried broadcast
    learned that its first try had reached the node after all (the tx is known: not an error).
    """

    hash: str
    code: str
    status: SubmitStatus
    height: int | None

    @classmethod
    def from_wire(cls, value: object) -> SubmitResult:
        w = "POST /txs"
        d = _object(value, w)
        return cls(
            hash=_str(d, "hash", w),
            code=_str(d, "code", w),
            status=cast(SubmitStatus, _choice(d, "status", _SUBMIT_STATUSES, w)),
            height=_opt_int(d, "height", w),
        )


@dataclass(frozen=True, slots=True)
class FaucetResult:
    hash: str

    @classmethod
    def from_wire(cls, value: object) -> FaucetResult:
        return cls(_str(_object(value, "POST /faucet"), "hash", "POST /faucet"))


@dataclass(frozen=True, slots=True)
class Params:
    """`GET /params`: chain parameters; their set differs per chain, so they stay a mapping."""

    values: Mapping[str, JsonValue]

    def integer(self, name: str) -> int:
        """An integer (or amount string) parameter, e.g. `params.integer("min_fee")`."""
        value = self.values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise KeyError(f"no integer parameter {name!r}; known: {sorted(self.values)}")

    @classmethod
    def from_wire(cls, value: object) -> Params:
        return cls(cast(Mapping[str, JsonValue], _object(value, "GET /params")))


@dataclass(frozen=True, slots=True)
class MempoolStats:
    """`GET /mempool/stats`: every integer field (e.g. pending, queued_future) by name."""

    counts: Mapping[str, int]

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @classmethod
    def from_wire(cls, value: object) -> MempoolStats:
        d = _object(value, "GET /mempool/stats")
        return cls({k: v for k, v in d.items() if isinstance(v, int) and not isinstance(v, bool)})


@dataclass(frozen=True, slots=True)
class PendingTx:
    """One entry of `GET /mempool` (the redacted view: no message bodies before inclusion)."""

    hash: str
    sender: str
    nonce: int
    status: str  # pending | queued_future

    @classmethod
    def list_from_wire(cls, value: object) -> list[PendingTx]:
        w = "GET /mempool"
        d = _object(value, w)
        items = d.get("txs")
        if not isinstance(items, list):
            raise _bad(w, "txs", "a list", items)
        out = []
        for item in items:
            e = _object(item, w)
            out.append(
                cls(
                    _str(e, "hash", w),
                    _str(e, "sender", w),
                    _int(e, "nonce", w),
                    _str(e, "status", w),
                )
            )
        return out


@dataclass(frozen=True, slots=True)
class Simulation:
    """`POST /txs/simulate`: the node's verdict on a tx without submitting it."""

    code: str
    details: Mapping[str, JsonValue]

    @classmethod
    def from_wire(cls, value: object) -> Simulation:
        d = _object(value, "POST /txs/simulate")
        code = d.get("code", "ok")
        if not isinstance(code, str):
            raise _bad("POST /txs/simulate", "code", "a string", code)
        return cls(code, cast(Mapping[str, JsonValue], d))
