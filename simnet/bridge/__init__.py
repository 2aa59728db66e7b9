"""The Alpha <-> Delta bridge: escrow, bAX voucher, attested claims, timeouts, the relayer."""

from simnet.bridge._attest import KeySet, claim_bytes
from simnet.bridge._bridge import ESCROW, Bridge, BridgeModule, BridgeParams, Transfer
from simnet.bridge._relayer import Relayer

__all__ = [
    "ESCROW",
    "Bridge",
    "BridgeModule",
    "BridgeParams",
    "KeySet",
    "Relayer",
    "Transfer",
    "claim_bytes",
]
