"""A transaction that passed the stateless checks: what mempools, blocks and the ledger hold."""

from __future__ import annotations

from dataclasses import dataclass

from botruntime.chain.tx import JsonValue, Msg

__all__ = ["Entry", "Transfer"]

Transfer = tuple[str, str, int]  # (to, denom, amount)


@dataclass(slots=True, eq=False)
class Entry:
    hash: str
    canonical_hash: str  # equals `hash` unless the noncanonical_hash switch is on
    wire: dict[str, JsonValue]  # the tx as blocks show it
    sender: str
    pubkey: bytes
    nonce: int
    fee: int
    size: int
    transfers: tuple[Transfer, ...]
    timeout_height: int = 0
    client_tx_id: str | None = None
    msgs: tuple[Msg, ...] = ()  # a module message (staking, gov, ...) travels alone
    arrival: int = 0  # admission order on the chain: the tie-break after fee per byte
    received_height: int = 0
    origin: int = 0  # index of the node that admitted it first
    # what its module messages did, written by the module at execution (`Event`): the tx's
    # result as blocks show it (amounts decided on chain, such as a swap's output)
    events: list[dict[str, JsonValue]] | None = None
    _costs: dict[str, int] | None = None

    def costs(self, native: str) -> dict[str, int]:
        """Fee (in `native`) plus every amount, per denom; computed once."""
        if self._costs is None:
            self._costs = self.cost(native)
        return self._costs

    @property
    def fee_per_byte(self) -> int:
        """The fee price in whole base units per byte, as a gas price is quoted: txs paying
        the same price are served in arrival order, so equal fees on txs a few bytes apart
        do not starve the larger ones."""
        return self.fee // self.size

    def cost(self, native: str, creation_fees: int = 0) -> dict[str, int]:
        """What the sender pays per denom: fee and creation fees in native, plus every amount."""
        total = {native: self.fee + creation_fees}
        for _, denom, amount in self.transfers:
            total[denom] = total.get(denom, 0) + amount
        return total
