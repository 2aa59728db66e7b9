"""Which (signer, nonce) pairs a chain has committed, in memory that grows with accounts.

`auth/unique-tx` needs to know whether a block commits a (signer, nonce) a second time (only a
switch such as `nonce_not_enforced` lets that happen). A set of every pair costs ~190 bytes per
committed tx for the whole run; since a signer's nonces commit in order from 0, each signer
keeps the length of its run from 0 and, apart, the nonces committed beyond a gap.
"""

from __future__ import annotations

__all__ = ["CommittedNonces"]


class CommittedNonces:
    __slots__ = ("_beyond", "_runs")

    def __init__(self) -> None:
        self._runs: dict[str, int] = {}  # signer -> nonces 0 .. n-1 all committed
        self._beyond: dict[str, set[int]] = {}  # signer -> committed nonces past its run

    def __contains__(self, key: tuple[str, int]) -> bool:
        signer, nonce = key
        if 0 <= nonce < self._runs.get(signer, 0):
            return True
        beyond = self._beyond.get(signer)
        return beyond is not None and nonce in beyond

    def add(self, key: tuple[str, int]) -> None:
        self.commit(*key)

    def commit(self, signer: str, nonce: int) -> bool:
        """Add (signer, nonce); False when it was committed already (one lookup for both)."""
        run = self._runs.get(signer, 0)
        if nonce < run:
            return nonce < 0  # below the run: committed; a negative nonce is never kept
        beyond = self._beyond.get(signer)
        if nonce != run:
            if beyond is None:
                beyond = self._beyond[signer] = set()
            elif nonce in beyond:
                return False
            beyond.add(nonce)
            return True
        run += 1
        if beyond is not None:
            while run in beyond:
                beyond.remove(run)
                run += 1
            if not beyond:
                del self._beyond[signer]
        self._runs[signer] = run
        return True

    def __len__(self) -> int:
        return sum(self._runs.values()) + sum(len(b) for b in self._beyond.values())
