"""The Alpha <-> Delta bridge: escrow on Alpha, the bAX voucher on Delta, claims, timeouts.

Alpha -> Delta: `bridge.lock` moves AX into Alpha's `bridge_escrow`; once the key set has
attested (after the relay delay) a `bridge.claim` on Delta mints bAX to the recipient.
Delta -> Alpha: `bridge.burn` burns bAX; a claim on Alpha releases AX from the escrow. A
transfer not claimed within `timeout_blocks` of its source height is refunded on its source
chain (AX back from the escrow, or bAX minted back). Each transfer is minted or refunded at
most once, never both (`bridge/once`); what leaves through the bridge per window of
`window_blocks` is at most `outflow_ppm` of the escrow (or of `quota_floor` while the escrow
is smaller), per direction, else `quota_exceeded`. One `Bridge` serves both chains: simnet's
chains live in one process, so "a consistent pair of heights" is simply now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

from botruntime.chain.tx import Denom, JsonValue, Msg
from botruntime.identity import AddressError, parse_address
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import Rejected, Throttled
from simnet._module import Check, Module
from simnet.bridge._attest import KeySet, claim_bytes

__all__ = ["ESCROW", "Bridge", "BridgeModule", "BridgeParams", "Transfer"]

ESCROW: Final = "bridge_escrow"
PPM: Final = 1_000_000
STATE_VERSION: Final = 1  # of the state in GET /simnet/export, as Alpha's modules


@dataclass(slots=True)
class BridgeParams:
    relay_delay_blocks: int = 2
    timeout_blocks: int = 50
    window_blocks: int = 100
    outflow_ppm: int = 250_000
    quota_floor: int = 100_000 * 1_000_000  # escrow assumed while it is smaller (bootstrap)

    def to_wire(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class Transfer:
    id: str
    direction: str  # "a2d" (lock AX, mint bAX) or "d2a" (burn bAX, release AX)
    sender: str
    recipient: str
    amount: int
    source_height: int
    timeout_height: int  # on the source chain
    withhold: bool
    status: str = "pending"  # completed, refunded
    mints: int = 0  # claims that credited the recipient
    refunds: int = 0
    claim_height: int = 0
    refund_height: int = 0

    def to_wire(self) -> dict[str, JsonValue]:
        wire: dict[str, JsonValue] = asdict(self)
        wire["amount"] = str(self.amount)
        return wire

    @classmethod
    def from_wire(cls, w: Any) -> Transfer:
        """What `to_wire` wrote (raises ValueError, KeyError or TypeError otherwise)."""
        if w["direction"] not in ("a2d", "d2a") or not isinstance(w["withhold"], bool):
            raise ValueError(f"bridge transfer {w['id']!r}: direction a2d|d2a, withhold a bool")
        return cls(
            str(w["id"]),
            str(w["direction"]),
            str(w["sender"]),
            str(w["recipient"]),
            int(str(w["amount"])),
            int(w["source_height"]),
            int(w["timeout_height"]),
            w["withhold"],
            str(w["status"]),
            int(w["mints"]),
            int(w["refunds"]),
            int(w["claim_height"]),
            int(w["refund_height"]),
        )


class Bridge:
    def __init__(self, alpha: Chain, delta: Chain, seed: str, params: BridgeParams) -> None:
        self.alpha = alpha
        self.delta = delta
        self.params = params
        self.keys = KeySet(seed)
        self.transfers: dict[str, Transfer] = {}
        self.by_sender: dict[str, list[Transfer]] = {}  # in lock order: a user's own transfers
        self.window = -1
        self.window_quota = 0
        self.window_out: dict[str, int] = {"a2d": 0, "d2a": 0}
        self.worst_window: dict[str, int] = {"a2d": 0, "d2a": 0}  # max outflow minus quota
        self._serial = 0

    # ---- the two ends --------------------------------------------------------------------------

    def source(self, transfer: Transfer) -> Chain:
        return self.alpha if transfer.direction == "a2d" else self.delta

    def destination(self, transfer: Transfer) -> Chain:
        return self.delta if transfer.direction == "a2d" else self.alpha

    def escrow(self) -> int:
        return self.alpha.ledger.modules.get(ESCROW, {}).get("AX", 0)

    def attestation(self, transfer: Transfer) -> str | None:
        """The key set signs once the relay delay has passed on the source chain."""
        if self.source(transfer).height < transfer.source_height + self.params.relay_delay_blocks:
            return None
        dst = self.destination(transfer)
        return self.keys.attest(
            claim_bytes(transfer.id, dst.spec.chain_id, transfer.recipient, transfer.amount)
        )

    # ---- the outflow window --------------------------------------------------------------------

    def roll_window(self) -> None:
        window = self.alpha.height // self.params.window_blocks
        if window != self.window:
            self.window = window
            base = max(self.escrow(), self.params.quota_floor)
            self.window_quota = base * self.params.outflow_ppm // PPM
            self.window_out = {"a2d": 0, "d2a": 0}

    def check_quota(self, direction: str, amount: int) -> None:
        self.roll_window()
        used = self.window_out[direction]
        if used + amount > self.window_quota:
            raise Throttled(
                "quota_exceeded",
                f"the bridge lets {self.window_quota - used} more base units out ({direction}) "
                f"in this window of {self.params.window_blocks} blocks "
                f"(quota {self.window_quota})",
                {"remaining": str(self.window_quota - used), "quota": str(self.window_quota)},
                retry_after_s=float(self.params.window_blocks),
            )

    def _spend_quota(self, direction: str, amount: int) -> None:
        self.window_out[direction] += amount
        over = self.window_out[direction] - self.window_quota
        self.worst_window[direction] = max(self.worst_window[direction], over)

    # ---- state changes -------------------------------------------------------------------------

    def open_transfer(
        self, direction: str, sender: str, recipient: str, amount: int, height: int, hold: bool
    ) -> Transfer:
        self._serial += 1
        prefix = "ax" if direction == "a2d" else "dx"
        transfer = Transfer(
            f"{prefix}-{self._serial}",
            direction,
            sender,
            recipient,
            amount,
            height,
            height + self.params.timeout_blocks,
            hold,
        )
        self.transfers[transfer.id] = transfer
        self.by_sender.setdefault(sender, []).append(transfer)
        self._spend_quota(direction, amount)
        return transfer

    def refund_due(self, chain: Chain, height: int) -> None:
        """On the source chain's end-block: refund transfers past their timeout."""
        for transfer in self.transfers.values():
            if (
                transfer.status == "pending"
                and self.source(transfer) is chain
                and height >= transfer.timeout_height
            ):
                transfer.status = "refunded"
                transfer.refunds += 1
                transfer.refund_height = height
                if transfer.direction == "a2d":
                    chain.ledger.add_module(ESCROW, "AX", -transfer.amount)
                    chain.ledger.add(transfer.sender, "AX", transfer.amount)
                else:
                    chain.ledger.mint(transfer.sender, Denom.BAX.value, transfer.amount)

    # ---- export / import (one state for both chains; Alpha's side carries it) ----------------

    def to_wire(self) -> JsonValue:
        return {
            "version": STATE_VERSION,
            "transfers": [t.to_wire() for t in self.transfers.values()],  # in lock order
            "serial": self._serial,
            "window": self.window,
            "window_quota": str(self.window_quota),
            "window_out": {d: str(v) for d, v in self.window_out.items()},
            "worst_window": {d: str(v) for d, v in self.worst_window.items()},
        }

    def load_wire(self, wire: JsonValue) -> None:
        data: Any = wire
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            raise ValueError(
                f"modules.bridge: expected the state GET /simnet/export writes (an object with "
                f"version {STATE_VERSION}), got {str(wire)[:80]}"
            )
        transfers = [Transfer.from_wire(w) for w in data["transfers"]]
        self.transfers = {t.id: t for t in transfers}
        self.by_sender = {}
        for transfer in transfers:
            self.by_sender.setdefault(transfer.sender, []).append(transfer)
        self._serial, self.window = int(data["serial"]), int(data["window"])
        self.window_quota = int(str(data["window_quota"]))
        self.window_out = {d: int(str(data["window_out"][d])) for d in ("a2d", "d2a")}
        self.worst_window = {d: int(str(data["worst_window"][d])) for d in ("a2d", "d2a")}

    # ---- invariants (SCENARIOS.md §7 "Cross-chain") --------------------------------------------

    def escrow_backing(self) -> str | None:
        """Escrow == bAX supply + locked-not-minted + burned-not-released."""
        bax = self.delta.ledger.supply.get(Denom.BAX.value, 0)
        in_flight = sum(t.amount for t in self.transfers.values() if t.status == "pending")
        escrow = self.escrow()
        if escrow != bax + in_flight:
            return f"escrow {escrow} AX != bAX supply {bax} + in flight {in_flight}"
        return None

    def once(self) -> str | None:
        for transfer in self.transfers.values():
            if transfer.mints > 1 or transfer.refunds > 1 or (transfer.mints and transfer.refunds):
                return (
                    f"transfer {transfer.id} minted {transfer.mints}x and "
                    f"refunded {transfer.refunds}x"
                )
        for direction, over in self.worst_window.items():
            if over > 0:
                return f"{direction} outflow went {over} over a window's quota"
        return None


class BridgeModule(Module):
    """The bridge's messages on one chain: lock and claim on Alpha, burn and claim on Delta."""

    name = "bridge"

    def __init__(self, bridge: Bridge, chain: Chain, relay: Callable[[Chain], None]) -> None:
        self.bridge = bridge
        self.chain = chain
        self.relay = relay  # the built-in relayer, run as each block of this chain opens
        self.is_alpha = chain is bridge.alpha
        self.outbound = "bridge.lock" if self.is_alpha else "bridge.burn"
        self.msg_types = frozenset({self.outbound, "bridge.claim"})  # type: ignore[misc]

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        self._plan(entry, msg, entry.fee)

    def _plan(self, entry: Entry, msg: Msg, reserved: int) -> Transfer | None:
        if msg["type"] == "bridge.claim":
            return self._plan_claim(msg)
        other = self.bridge.delta if self.is_alpha else self.bridge.alpha
        recipient = str(msg["to"])
        try:
            parse_address(recipient, other.spec.hrp)
        except AddressError as exc:
            raise Rejected(
                "invalid_address",
                f"body.msgs[0].to: the recipient is an address of {other.spec.chain_id}: {exc}",
                {"path": "body.msgs[0].to"},
            ) from None
        amount = int(str(msg["amount"]))
        denom = Denom.AX.value if self.is_alpha else Denom.BAX.value
        available = self.chain.ledger.balance(entry.sender, denom) - (
            reserved if self.is_alpha else 0
        )
        if amount == 0 or amount > available:
            raise Rejected(
                "insufficient_funds" if amount else "invalid_amount",
                f"{entry.sender} needs {amount} {denom} (> 0) and has {max(available, 0)}",
                {"denom": denom, "needed": str(amount), "available": str(max(available, 0))},
            )
        self.bridge.check_quota("a2d" if self.is_alpha else "d2a", amount)
        return None

    def _plan_claim(self, msg: Msg) -> Transfer:
        bridge = self.bridge
        tid = str(msg["transfer_id"])
        transfer = bridge.transfers.get(tid)
        if transfer is None or bridge.destination(transfer) is not self.chain:
            raise Rejected(
                "not_found",
                f"body.msgs[0].transfer_id: no transfer {tid!r} into {self.chain.spec.chain_id}",
                {"transfer_id": tid},
            )
        amount = int(str(msg["amount"]))
        payload = claim_bytes(tid, self.chain.spec.chain_id, str(msg["recipient"]), amount)
        if not bridge.keys.holds(str(msg["attestation"]), payload):
            raise Rejected(
                "bad_signature",
                "body.msgs[0].attestation does not verify for this claim on "
                f"{self.chain.spec.chain_id}; copy it from GET /bridge/transfers/{tid}",
                {"path": "body.msgs[0].attestation"},
            )
        if transfer.status == "refunded":
            raise Rejected(
                "deadline_exceeded",
                f"transfer {tid} timed out and was refunded at height {transfer.refund_height}",
                {"transfer_id": tid},
            )
        if transfer.status == "completed":
            raise Rejected(
                "already_claimed",
                f"transfer {tid} was claimed at height {transfer.claim_height}",
                {"transfer_id": tid, "height": transfer.claim_height},
            )
        return transfer

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        claimed = self._plan(entry, msg, reserved)
        ledger = self.chain.ledger
        if claimed is not None:
            if not self.chain.vulns.on("bridge_no_once"):
                claimed.status = "completed"
            claimed.mints += 1
            claimed.claim_height = height
            if self.is_alpha:
                ledger.add_module(ESCROW, "AX", -claimed.amount)
                ledger.add(claimed.recipient, "AX", claimed.amount)
            else:
                ledger.mint(claimed.recipient, Denom.BAX.value, claimed.amount)
            return
        amount = int(str(msg["amount"]))
        if self.is_alpha:
            ledger.add(entry.sender, "AX", -amount)
            ledger.add_module(ESCROW, "AX", amount)
        else:
            ledger.add(entry.sender, Denom.BAX.value, -amount)
            ledger.supply[Denom.BAX.value] -= amount
        self.bridge.open_transfer(
            "a2d" if self.is_alpha else "d2a",
            entry.sender,
            str(msg["to"]),
            amount,
            height,
            bool(msg["withhold"]),
        )

    def begin_block(self, height: int) -> None:
        self.bridge.roll_window()
        self.relay(self.chain)

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        self.bridge.refund_due(self.chain, height)

    def to_wire(self) -> JsonValue:
        return self.bridge.to_wire() if self.is_alpha else None

    def load_wire(self, wire: JsonValue) -> None:
        if self.is_alpha:
            self.bridge.load_wire(wire)

    def invariants(self) -> Mapping[str, Check]:
        if not self.is_alpha:
            return {}
        return {
            "bridge/escrow-backing": self.bridge.escrow_backing,
            "bridge/once": self.bridge.once,
        }
