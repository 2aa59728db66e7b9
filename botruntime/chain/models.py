"""What every chain answers to the core endpoints of PROTOCOL.md, as typed values.

Wire dicts become these at the client edge (`WireModel.from_wire`, `_wire_model.py`), as the
module answers do (`alpha_models`, `bridge_models`, `delta_models`). A field that breaks
PROTOCOL.md raises `ProtocolViolation` naming the endpoint and the field. Amounts are ints
(base units).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Self

from pydantic import field_validator

from botruntime.chain._wire_model import (
    Amount,
    Count,
    Flag,
    JsonObject,
    Text,
    Time,
    WireModel,
)

__all__ = [
    "Account",
    "AddressTx",
    "Block",
    "BlockTx",
    "FaucetResult",
    "Health",
    "MempoolPage",
    "MempoolStats",
    "Params",
    "PendingTx",
    "Simulation",
    "Status",
    "SubmitResult",
    "SubmitStatus",
    "TxPage",
    "TxState",
    "TxStatus",
    "balances_from_wire",
    "supply_from_wire",
]

SubmitStatus = Literal["pending", "queued_future", "committed"]
TxState = Literal["pending", "queued_future", "committed", "failed", "unknown"]


class Status(WireModel):
    chain_id: Text
    node_id: Text = ""
    height: Count
    time: Time
    catching_up: Flag
    block_time_ms: Count | None = None
    version: Text | None = None  # the node software's version, where the network says it


class Health(WireModel):
    ok: Flag


class Account(WireModel):
    address: Text
    nonce: Count  # the next nonce this account must sign with
    pubkey: Text | None = None  # base64, None until the account has sent a tx
    balances: dict[Text, Amount]

    def balance(self, denom: str) -> int:
        return self.balances.get(denom, 0)


class _Balances(WireModel):
    balances: dict[Text, Amount]


def balances_from_wire(value: object) -> dict[str, int]:
    """`GET /accounts/{addr}/balances`: `{denom: amount}`, bare or under "balances"."""
    inner = value.get("balances", value) if isinstance(value, dict) else value
    return _Balances.from_wire({"balances": inner}, "GET /accounts/{addr}/balances").balances


class Block(WireModel):
    height: Count
    time: Time
    hash: Text
    prev_hash: Text
    txs: tuple[Text, ...]  # tx hashes, in block order


class BlockTx(WireModel):
    """One entry of `GET /blocks/{height}/txs`: a tx in block order, and its outcome.

    `code` is "ok" when its messages took effect, else why they failed at execution: the tx
    is in the block all the same, so its fee was charged and its nonce spent. A node that
    predates outcomes sends no code: it lists only what took effect.
    """

    hash: Text
    index: Count
    tx: JsonObject  # the wire tx (or the faucet credit) as the block holds it
    code: Text = "ok"
    # what its module messages did, when they took effect: `coin_spent` / `coin_received`
    # {address, denom, amount} and one `<module>.<message>` result (a swap's amount_out)
    events: tuple[JsonObject, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code == "ok"


class TxStatus(WireModel):
    hash: Text
    status: TxState
    height: Count | None = None
    # why it failed: with a height, at execution in that block (its fee charged, its nonce
    # spent, its messages undone); without one, it left the mempools and never entered a block
    code: Text | None = None

    @property
    def final(self) -> bool:
        return self.status in ("committed", "failed")

    @property
    def included(self) -> bool:
        """In a block, so its nonce is spent, whether or not its messages took effect."""
        return self.status == "committed" or (self.status == "failed" and self.height is not None)


class SubmitResult(WireModel):
    """The answer to `POST /txs`. `code` is "ok", or "duplicate_tx" when a retried broadcast
    learned that its first try had reached the node after all (the tx is known: not an error).
    """

    hash: Text
    code: Text
    status: SubmitStatus
    height: Count | None = None


class FaucetResult(WireModel):
    hash: Text


class Params(WireModel):
    """`GET /params` (and each module's): parameters differ per chain, so they stay a mapping;
    the whole answer is `values`."""

    values: JsonObject

    def integer(self, name: str) -> int:
        """An integer (or amount string) parameter, e.g. `params.integer("min_fee")`."""
        value = self.values.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise KeyError(f"no integer parameter {name!r}; known: {sorted(self.values)}")

    @classmethod
    def from_wire(cls, value: object, where: str | None = None) -> Self:
        where = where or "GET /params"
        if not isinstance(value, dict):
            return super().from_wire(value, where)  # names what the answer is instead
        return super().from_wire({"values": value}, where)


class MempoolStats(WireModel):
    """`GET /mempool/stats`: every integer field (e.g. pending, queued_future) by name."""

    counts: Mapping[str, int]

    @field_validator("counts", mode="before")
    @classmethod
    def _integers_only(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {k: v for k, v in value.items() if type(v) is int}  # not bools, not the policy

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @classmethod
    def from_wire(cls, value: object, where: str | None = None) -> Self:
        where = where or "GET /mempool/stats"
        if not isinstance(value, dict):
            return super().from_wire(value, where)  # names what the answer is instead
        return super().from_wire({"counts": value}, where)


class PendingTx(WireModel):
    """One entry of `GET /mempool` (the redacted view: no message bodies before inclusion)."""

    hash: Text
    sender: Text
    nonce: Count
    status: Text  # pending | queued_future


class MempoolPage(WireModel):
    """One page of `GET /mempool`, in admission order; `next_cursor` (opaque) asks for the
    page after it, None on the last page."""

    view: Text = "redacted"
    txs: tuple[PendingTx, ...]
    next_cursor: Text | None = None


class AddressTx(WireModel):
    """One committed tx an address signed or received: where it sits in the chain."""

    hash: Text
    height: Count
    index: Count  # position in its block

    @property
    def key(self) -> tuple[int, int]:
        """Chain order: (height, index)."""
        return (self.height, self.index)


class TxPage(WireModel):
    """One page of `GET /txs?address=`: an address's history, oldest first, and the opaque
    cursor of the page after it (None on the last page). A stable cursor names the last
    item returned, so txs landing between two pages never shift the next one."""

    txs: tuple[AddressTx, ...]
    next_cursor: Text | None = None


class _Supply(WireModel):
    supply: dict[Text, Amount]


def supply_from_wire(value: object) -> dict[str, int]:
    """`GET /supply`: `{denom: amount}` of every denom the chain knows."""
    return _Supply.from_wire(value, "GET /supply").supply


class Simulation(WireModel):
    """`POST /txs/simulate`: the node's verdict on a tx without submitting it; `details` is
    the whole answer."""

    code: Text = "ok"
    details: JsonObject

    @classmethod
    def from_wire(cls, value: object, where: str | None = None) -> Self:
        where = where or "POST /txs/simulate"
        if not isinstance(value, dict):
            return super().from_wire(value, where)  # names what the answer is instead
        return super().from_wire({"code": value.get("code", "ok"), "details": value}, where)
