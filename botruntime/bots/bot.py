"""A bot: identity + wallet (shadow ledger) + nonces + lifecycle, kept small.

DESIGN §5 budgets ≤ 2 KB per idle bot, so a bot holds its index and derives its key and
addresses on first use; the wallet and the per-chain nonce slots start empty. A bot holds no
task: the executor lends it a slot while an action runs.

Nonces are local (one per chain): a bot signs with `next_nonce(chain)` and advances it when
the node accepts the tx; on `bad_nonce` it resyncs to what the chain expects
(`resync_nonce`), which is the only way the local nonce moves backwards.
"""

from __future__ import annotations

from typing import Final, Literal

from botruntime.bots.lifecycle import Lifecycle
from botruntime.identity import Identity
from botruntime.wallet import Wallet

__all__ = ["Bot", "ChainName"]

ChainName = Literal["alpha", "delta"]
_CHAIN_SLOT: Final = {"alpha": 0, "delta": 1}


class Bot:
    __slots__ = (
        "_accepted",
        "_identity",
        "_nonces",
        "index",
        "last_tx",
        "lifecycle",
        "role",
        "run_seed",
        "state",
        "wallet",
    )

    def __init__(self, run_seed: str, index: int, role: str) -> None:
        self.run_seed = run_seed
        self.index = index
        self.role = role
        self.wallet = Wallet()
        self.lifecycle = Lifecycle()
        self._identity: Identity | None = None
        self._nonces: list[int] | None = None
        self.last_tx: str | None = None  # hash of the latest tx this bot had accepted
        self._accepted: list[int] | None = None  # per chain: txs a node answered "ok" to
        # what the bot's behaviours remember between its actions (the identities a sybil farmer
        # controls, a campaign user's progress); None until a behaviour keeps something
        self.state: object | None = None

    @property
    def identity(self) -> Identity:
        """Derived on first use (~15 µs for the key, ~28 µs per address, then kept)."""
        if self._identity is None:
            self._identity = Identity.derive(self.run_seed, self.index)
        return self._identity

    @property
    def alpha_address(self) -> str:
        return self.identity.alpha_address

    @property
    def delta_address(self) -> str:
        return self.identity.delta_address

    def address(self, chain: ChainName) -> str:
        return self.alpha_address if chain == "alpha" else self.delta_address

    def next_nonce(self, chain: ChainName) -> int:
        return 0 if self._nonces is None else self._nonces[_CHAIN_SLOT[chain]]

    def nonce_used(self, chain: ChainName, nonce: int) -> None:
        """The node accepted a tx with `nonce`: the next one is nonce + 1."""
        if self._nonces is None:
            self._nonces = [0, 0]
        slot = _CHAIN_SLOT[chain]
        if nonce + 1 > self._nonces[slot]:
            self._nonces[slot] = nonce + 1

    def accepted(self, chain: ChainName) -> int:
        """How many of this bot's txs a node accepted: what its chain nonce must reach."""
        return 0 if self._accepted is None else self._accepted[_CHAIN_SLOT[chain]]

    def note_accepted(self, chain: ChainName, nonce: int) -> None:
        if self._accepted is None:
            self._accepted = [0, 0]
        self._accepted[_CHAIN_SLOT[chain]] += 1
        self.nonce_used(chain, nonce)

    def set_accepted(self, chain: ChainName, count: int) -> None:
        """Take over a bot mid-run: what the chain has committed is what it owes us."""
        if self._accepted is None:
            self._accepted = [0, 0]
        self._accepted[_CHAIN_SLOT[chain]] = count

    def resync_nonce(self, chain: ChainName, expected: int) -> None:
        """The chain said which nonce it expects (`bad_nonce`, or an account read)."""
        if self._nonces is None:
            self._nonces = [0, 0]
        self._nonces[_CHAIN_SLOT[chain]] = expected

    def __repr__(self) -> str:
        return f"<Bot #{self.index} {self.role} {self.lifecycle.state}>"
