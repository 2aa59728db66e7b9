"""What this process's readers have seen of the chains, so that a later read can be checked.

A read has no shadow ledger, but it has history: a block fetched once must come back the same
(blocks are immutable), a reader's view of a node must never move backwards (monotonic reads),
and the highest height any node showed is the floor a reader may ask the next node for
(`X-Min-Height`). `ReadMemory` keeps that history, bounded, for the explorer behaviours
(SCENARIOS.md L5); it judges nothing itself.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from random import Random
from typing import Final

from botruntime.bots.bot import ChainName
from botruntime.chain.models import Block

__all__ = ["ReadMemory"]

_BLOCKS_KEPT: Final = 4096
_VIEWS_KEPT: Final = 100_000
_ADDRESSES_KEPT: Final = 256


class ReadMemory:
    """Blocks as first read, each reader's last height per node, each chain's tip, and the
    addresses seen sending."""

    __slots__ = ("_addresses", "_behind", "_blocks", "_blocks_kept", "_tips", "_views")

    def __init__(self, *, blocks_kept: int = _BLOCKS_KEPT) -> None:
        self._blocks: OrderedDict[tuple[ChainName, int], Block] = OrderedDict()
        self._blocks_kept = blocks_kept
        self._tips: dict[ChainName, int] = {}
        self._views: dict[tuple[int, ChainName, int], int] = {}
        self._addresses: dict[ChainName, deque[str]] = {}
        self._behind: dict[tuple[ChainName, int], float] = {}

    def tip(self, chain: ChainName) -> int:
        """The highest height any read of `chain` showed (0 before the first)."""
        return self._tips.get(chain, 0)

    def saw_height(self, reader: int, chain: ChainName, node: int, height: int) -> int | None:
        """Note that `reader` read `height` from `node`; the height it had read there before
        when this one is lower (its view went backwards), else None."""
        if height > self._tips.get(chain, 0):
            self._tips[chain] = height
        key = (reader, chain, node)
        before = self._views.get(key)
        if before is not None and height < before:
            return before
        if len(self._views) >= _VIEWS_KEPT and key not in self._views:
            self._views.clear()
        self._views[key] = height
        return None

    def remember_block(self, chain: ChainName, block: Block) -> tuple[Block | None, bool]:
        """Keep `block` as first read. Returns (the copy read before when it differs from
        this one, whether a copy was read before at all)."""
        key = (chain, block.height)
        if block.height > self._tips.get(chain, 0):
            self._tips[chain] = block.height
        first = self._blocks.get(key)
        if first is not None:
            self._blocks.move_to_end(key)
            return (first if first != block else None), True
        self._blocks[key] = block
        if len(self._blocks) > self._blocks_kept:
            self._blocks.popitem(last=False)
        return None, False

    def block(self, chain: ChainName, height: int) -> Block | None:
        return self._blocks.get((chain, height))

    def pick_block(self, chain: ChainName, rng: Random, *, with_txs: bool = False) -> Block | None:
        """A block read before (one with txs if asked and any is known), chosen uniformly
        among the most recent few hundred."""
        recent: list[Block] = []
        for (of_chain, _), block in reversed(self._blocks.items()):
            if of_chain == chain:
                recent.append(block)
                if len(recent) == 256:
                    break
        if with_txs:
            recent = [b for b in recent if b.txs] or recent
        return rng.choice(recent) if recent else None

    def note_address(self, chain: ChainName, address: str) -> None:
        """An address seen active (a sender in a block): what explorers look up."""
        kept = self._addresses.get(chain)
        if kept is None:
            kept = self._addresses[chain] = deque(maxlen=_ADDRESSES_KEPT)
        kept.append(address)

    def pick_address(self, chain: ChainName, rng: Random) -> str | None:
        kept = self._addresses.get(chain)
        return rng.choice(kept) if kept else None

    def overdue(
        self, chain: ChainName, node: int, behind: bool, now_s: float, limit_s: float
    ) -> float | None:
        """Note whether `node` is behind now; how long it has been behind without a caught-up
        reading between, the first time that exceeds `limit_s` (else None)."""
        key = (chain, node)
        if not behind:
            self._behind.pop(key, None)
            return None
        since = self._behind.setdefault(key, now_s)
        if since == float("inf") or now_s - since < limit_s:
            return None
        self._behind[key] = float("inf")  # said once per episode
        return now_s - since
