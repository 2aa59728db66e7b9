"""The bridge key set: ed25519 keys derived from the simnet seed that sign each claim.

An attestation is `i:signature,j:signature` over the canonical JSON of the claim (transfer id,
destination chain id, recipient, amount); it holds when `threshold` distinct keys of the set
signed. Binding the destination chain id means a claim for Delta does not verify on Alpha.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.signing import VerifyKey

from botruntime.chain.tx import canonical_json
from botruntime.identity import Identity

__all__ = ["KeySet", "claim_bytes"]


def claim_bytes(transfer_id: str, dst_chain_id: str, recipient: str, amount: int) -> bytes:
    return canonical_json(
        {
            "amount": str(amount),
            "chain_id": dst_chain_id,
            "recipient": recipient,
            "transfer_id": transfer_id,
        }
    )


class KeySet:
    def __init__(self, seed: str, size: int = 3, threshold: int = 2) -> None:
        self.keys = [Identity.derive(f"simnet/{seed}/bridge", i) for i in range(size)]
        self.verify_keys = [VerifyKey(k.public_key) for k in self.keys]
        self.threshold = threshold

    def attest(self, payload: bytes) -> str:
        """What the key set signs once a transfer is final on its source chain."""
        signers = self.keys[: self.threshold]
        return ",".join(
            f"{i}:{base64.b64encode(k.sign(payload)).decode('ascii')}"
            for i, k in enumerate(signers)
        )

    def holds(self, attestation: str, payload: bytes) -> bool:
        good: set[int] = set()
        for part in attestation.split(","):
            index, _, sig = part.partition(":")
            if not (index.isascii() and index.isdigit()) or int(index) >= len(self.keys):
                return False
            try:
                self.verify_keys[int(index)].verify(payload, base64.b64decode(sig, validate=True))
            except (CryptoError, binascii.Error, ValueError):
                return False
            good.add(int(index))
        return len(good) >= self.threshold
