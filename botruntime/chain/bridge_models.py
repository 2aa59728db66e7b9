"""What the Alpha <-> Delta bridge answers (SCENARIOS.md §6), as typed values.

A transfer is read on either chain under the same id (`ax-1` locked on Alpha, `dx-2` burned on
Delta); its `attestation` is None until the key set has signed (after the relay delay), and
then it is what a `bridge.claim` on the destination chain carries.
"""

from __future__ import annotations

from typing import Literal

from botruntime.chain._wire_model import Amount, Count, Flag, Text, WireModel

__all__ = ["BridgeEscrow", "BridgeTransfer", "TransferStatus"]

TransferStatus = Literal["pending", "completed", "refunded"]


class BridgeTransfer(WireModel):
    id: Text
    direction: Literal["a2d", "d2a"]  # lock AX -> mint bAX, or burn bAX -> release AX
    sender: Text
    recipient: Text
    amount: Amount
    source_height: Count
    timeout_height: Count  # on the source chain: unclaimed by then, it is refunded
    withhold: Flag  # never relayed by simnet's relayer (the timeout path)
    status: TransferStatus
    mints: Count
    refunds: Count
    claim_height: Count
    refund_height: Count
    source_chain: Text
    destination_chain: Text
    attestation: Text | None

    @property
    def claimable(self) -> bool:
        return self.status == "pending" and self.attestation is not None


class BridgeEscrow(WireModel):
    """`GET /bridge/escrow`: escrow == bAX supply + locked-not-minted + burned-not-released."""

    escrow: Amount
    bax_supply: Amount
    locked_not_minted: Amount
    burned_not_released: Amount
    window: Count
    window_quota: Amount
    window_outflow: dict[Text, Amount]  # per direction, this window
