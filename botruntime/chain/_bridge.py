"""The bridge calls both chains share: a transfer's state, the escrow, and the claim.

Alpha adds `bridge_lock` (AX into escrow, bAX minted on Delta by a claim), Delta adds
`bridge_burn` (bAX burned, AX released on Alpha by a claim); a claim is sent to the
destination chain and carries the attestation read from `GET /bridge/transfers/{id}`. A user
learns the ids of its own transfers from `bridge_sent` (`GET /bridge/senders/{a}/transfers`).
The messages are built by `outbound_msg` and `claim_msg`, for callers that sign themselves.
"""

from __future__ import annotations

from typing import Protocol, Unpack

from botruntime.chain._api import ChainApi, TxArgs
from botruntime.chain._core import HttpChainClient
from botruntime.chain._wire_model import list_from_wire
from botruntime.chain.bridge_models import BridgeEscrow, BridgeTransfer
from botruntime.chain.models import Params, SubmitResult
from botruntime.chain.tx import Msg, encode_amount
from botruntime.identity import Identity, parse_address

__all__ = ["BridgeApi", "HttpBridgeClient", "claim_msg", "outbound_msg"]


class BridgeApi(ChainApi, Protocol):
    async def bridge_transfer(
        self, transfer_id: str, *, min_height: int | None = None
    ) -> BridgeTransfer: ...
    async def bridge_sent(
        self, sender: str, *, min_height: int | None = None
    ) -> list[BridgeTransfer]: ...
    async def bridge_escrow(self) -> BridgeEscrow: ...
    async def bridge_params(self) -> Params: ...
    async def bridge_claim(
        self, signer: Identity, transfer: BridgeTransfer, **tx: Unpack[TxArgs]
    ) -> SubmitResult: ...


class HttpBridgeClient(HttpChainClient):
    """The core calls plus the bridge's: the base of both chains' HTTP clients."""

    async def bridge_transfer(
        self, transfer_id: str, *, min_height: int | None = None
    ) -> BridgeTransfer:
        path = f"/bridge/transfers/{transfer_id}"
        wire = await self._exchange("GET", path, operation="bridge", min_height=min_height)
        return BridgeTransfer.from_wire(wire, "GET /bridge/transfers/{id}")

    async def bridge_sent(
        self, sender: str, *, min_height: int | None = None
    ) -> list[BridgeTransfer]:
        """Every transfer `sender` opened (an ax address: its locks; a dx address: its
        burns), in lock order."""
        path = f"/bridge/senders/{sender}/transfers"
        wire = await self._exchange("GET", path, operation="bridge", min_height=min_height)
        return list_from_wire(
            BridgeTransfer, wire, "transfers", "GET /bridge/senders/{a}/transfers"
        )

    async def bridge_escrow(self) -> BridgeEscrow:
        wire = await self._exchange("GET", "/bridge/escrow", operation="bridge")
        return BridgeEscrow.from_wire(wire, "GET /bridge/escrow")

    async def bridge_params(self) -> Params:
        wire = await self._exchange("GET", "/bridge/params", operation="bridge")
        return Params.from_wire(wire, "GET /bridge/params")

    async def bridge_claim(
        self, signer: Identity, transfer: BridgeTransfer, **tx: Unpack[TxArgs]
    ) -> SubmitResult:
        """Claim `transfer` on this chain (its destination): mint bAX on Delta or release AX
        on Alpha. Any account may claim; the attestation decides, the recipient is paid."""
        return await self.submit(signer, [claim_msg(transfer)], **tx)


def claim_msg(transfer: BridgeTransfer) -> Msg:
    """`bridge.claim` of `transfer` on its destination chain, with its attestation."""
    if transfer.attestation is None:
        raise ValueError(
            f"transfer {transfer.id} has no attestation yet: read it again with "
            "bridge_transfer() once the relay delay has passed on its source chain"
        )
    return {
        "type": "bridge.claim",
        "transfer_id": transfer.id,
        "recipient": transfer.recipient,
        "amount": encode_amount(transfer.amount),
        "attestation": transfer.attestation,
    }


def outbound_msg(kind: str, to: str, to_hrp: str, amount: int, withhold: bool) -> Msg:
    """`bridge.lock` (to a dx address) or `bridge.burn` (to an ax address)."""
    parse_address(to, to_hrp)  # AddressError names what is wrong before any I/O
    return {"type": kind, "to": to, "amount": encode_amount(amount), "withhold": withhold}
