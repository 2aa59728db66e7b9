"""The fleet's side of the bridge: what its bots are owed by bridge transfers, credited once.

A transfer pays its recipient on the other chain through a claim, a tx anyone may sign
(simnet's relayer, a third-party relayer, the user itself), or, unclaimed at its timeout,
refunds its sender on its source chain at end-block, with no tx at all. The recipient's and
the sender's shadow ledgers credit each transfer id exactly once, the way the sender meant it:

- `claimed`: a committed `bridge.claim` paying a bot of this fleet, seen in a block by the
  commit watcher (`Fleet._receipts`, the same place that credits payments);
- `settle`: the bot's own transfers read from the chain (`GET /bridge/senders/{a}/transfers`):
  refunds whenever read, and at the end of a run the claims committed after the watchers
  stopped.

A claim committed again for a transfer already claimed is counted, never credited: the chain
paid twice what one transfer owed, and the reconciliation finds the surplus.

Counters (SCENARIOS.md §1.3, chain side, read from committed blocks and bridge reads):
  chain.bridge_claims{chain, credit=first|again}   committed claims paying this fleet's bots
  chain.bridge_refunds{chain}                      refunds of this fleet's transfers, as read
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.bridge_models import BridgeTransfer
from botruntime.chain.tx import JsonValue
from botruntime.metrics import Recorder
from botruntime.wallet import AX, BAX, Denom

__all__ = ["BridgeBook"]

# what a claim on each chain pays: AX released from escrow on Alpha, bAX minted on Delta
_PAID_ON: Final[Mapping[ChainName, Denom]] = {"alpha": AX, "delta": BAX}
_SOURCE: Final[Mapping[str, ChainName]] = {"a2d": "alpha", "d2a": "delta"}
_DESTINATION: Final[Mapping[str, ChainName]] = {"a2d": "delta", "d2a": "alpha"}


class BridgeBook:
    """Transfer ids whose credit the fleet's shadow ledgers hold, and the claims seen."""

    def __init__(self, recorder: Recorder, owners: Mapping[str, Bot]) -> None:
        self._recorder = recorder
        self._owners = owners
        self._credited: set[str] = set()  # transfer ids credited (by a claim or a refund)
        self._claims: set[str] = set()  # transfer ids with a committed claim seen
        self.relay_delay_blocks: int | None = None  # GET /bridge/params, read once
        self.used = False  # a bot of this fleet opened a transfer or was paid by a claim

    def note_sent(self) -> None:
        """A bot of this fleet sent a lock or a burn: its transfers are settled at the end."""
        self.used = True

    def claimed(self, chain: ChainName, msg: Mapping[str, JsonValue]) -> None:
        """A committed `bridge.claim` (its messages took effect) on `chain`."""
        recipient, amount = msg.get("recipient"), msg.get("amount")
        tid = str(msg.get("transfer_id"))
        if not isinstance(recipient, str) or recipient not in self._owners:
            return  # it pays nobody of this fleet: another fleet counts it
        self.used = True
        again = tid in self._claims
        self._claims.add(tid)
        self._recorder.counter(
            "chain.bridge_claims", chain=chain, credit="again" if again else "first"
        ).add(example=tid)
        if not again and isinstance(amount, str) and amount.isdigit():
            self._credit(tid, recipient, _PAID_ON[chain], int(amount))

    def settle(self, transfers: Iterable[BridgeTransfer], *, completed: bool) -> int:
        """Credit the terminal transfers read from the chain not credited yet: refunds always,
        completed ones only when `completed` (at the end, when no watcher sees claims any
        more: during a run the claim in its block is what credits). How many were credited."""
        credited = 0
        for transfer in transfers:
            if transfer.id in self._credited:
                continue
            if transfer.status == "refunded":
                source = _SOURCE[transfer.direction]
                self._recorder.counter("chain.bridge_refunds", chain=source).add(
                    example=transfer.id
                )
                credited += self._credit(
                    transfer.id, transfer.sender, _PAID_ON[source], transfer.amount
                )
            elif transfer.status == "completed" and completed:
                destination = _PAID_ON[_DESTINATION[transfer.direction]]
                credited += self._credit(
                    transfer.id, transfer.recipient, destination, transfer.amount
                )
        return credited

    def known(self, transfers: Iterable[BridgeTransfer]) -> None:
        """Bots taken over mid-run: what already ended is in the balances about to be read
        from the chain, so it is never credited again (its claim, if a watcher reads its block
        later, counts as the first)."""
        for transfer in transfers:
            if transfer.status != "pending":
                self._credited.add(transfer.id)
                self.used = True

    def _credit(self, tid: str, address: str, denom: Denom, amount: int) -> int:
        bot = self._owners.get(address)
        if bot is None or tid in self._credited:
            return 0
        self._credited.add(tid)
        bot.wallet.credit(denom, amount)
        return 1

    @staticmethod
    def source(transfer: BridgeTransfer) -> ChainName:
        return _SOURCE[transfer.direction]

    @staticmethod
    def destination(transfer: BridgeTransfer) -> ChainName:
        return _DESTINATION[transfer.direction]
