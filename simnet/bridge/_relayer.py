"""simnet's built-in relayer: it carries each attested transfer to its destination as a tx.

The relayer is an ordinary account on both chains (funded at genesis) that signs
`bridge.claim` txs and hands them to the first live node of the destination chain, at the
start of each of that chain's blocks, so a claim goes through admission, gossip and execution
like any bot's. Transfers marked `withhold` are never relayed (L8's timeout and refund path).
If one of its txs fails (a third-party relayer claimed first), its later nonces would wait
for a gap that never fills, so it withdraws its pending claims and signs them again.
"""

from __future__ import annotations

from typing import Final

from botruntime.chain.tx import JsonValue, TxBody, encode_amount, sign_tx
from botruntime.identity import Identity
from simnet._chain import Chain
from simnet._errors import SimnetError
from simnet.bridge._bridge import Bridge

__all__ = ["RELAYER_FUNDS", "Relayer"]

RELAYER_FUNDS: Final = 10**12
_PER_BLOCK: Final = 16  # claims signed per block and chain (the mempool's per-sender cap is 32)
_CLAIM_BYTES: Final = 1_500  # a claim tx is under this in canonical JSON; fee paid 2x on it


class Relayer:
    def __init__(self, bridge: Bridge, seed: str) -> None:
        self.bridge = bridge
        self.identity = Identity.derive(f"simnet/{seed}/relayer", 0)
        self.inflight: dict[str, str] = {}  # transfer id -> claim tx hash
        for chain in (bridge.alpha, bridge.delta):
            chain.ledger.mint(
                self.identity.address(chain.spec.hrp), chain.spec.native, RELAYER_FUNDS
            )

    def relay_into(self, chain: Chain) -> None:
        """Sign claims for every attested transfer into `chain` that is not yet claimed."""
        bridge = self.bridge
        address = self.identity.address(chain.spec.hrp)
        mine = {
            tid: tx_hash
            for tid, tx_hash in self.inflight.items()
            if bridge.destination(bridge.transfers[tid]) is chain
        }
        stuck = False
        for tid, tx_hash in mine.items():
            if tx_hash in chain.index or bridge.transfers[tid].status != "pending":
                del self.inflight[tid]
            elif tx_hash in chain.failed:
                stuck = True
        if stuck:  # withdraw every pending claim into this chain and sign afresh
            for tid in [t for t in mine if t in self.inflight]:
                for node in chain.nodes:
                    node.mempool.remove(self.inflight[tid])
                del self.inflight[tid]
        live = next((n for n in chain.nodes if n.live), None)
        if live is None:
            return
        nonce = chain.ledger.nonce(address) + sum(
            1 for t in self.inflight if bridge.destination(bridge.transfers[t]) is chain
        )
        signed = 0
        for transfer in list(bridge.transfers.values()):
            if signed >= _PER_BLOCK:
                break
            if (
                transfer.status != "pending"
                or transfer.withhold
                or transfer.id in self.inflight
                or bridge.destination(transfer) is not chain
            ):
                continue
            attestation = bridge.attestation(transfer)
            if attestation is None:
                continue
            msg: dict[str, JsonValue] = {
                "type": "bridge.claim",
                "transfer_id": transfer.id,
                "recipient": transfer.recipient,
                "amount": encode_amount(transfer.amount),
                "attestation": attestation,
            }
            params = chain.params
            fee = 2 * (params.min_fee_base + params.min_fee_per_byte * _CLAIM_BYTES)
            body = TxBody(chain.spec.chain_id, address, nonce, fee, (msg,), "simnet:relayer")
            wire = sign_tx(self.identity, body).to_wire()
            try:
                entry = chain.decode(wire)
                chain.admit(live, entry, chain.latest.time_us / 1e6)
            except SimnetError:
                continue
            self.inflight[transfer.id] = entry.hash
            nonce += 1
            signed += 1
