"""One address's committed txs, oldest first, as the explorer and scenarios read them.

Each item is (height, index, hash). A list of those tuples costs ~72 bytes per item, twice per
transfer (sender and recipient), the largest per-tx cost of the history after the tx bodies
(bench/scaling.py). `AddressHistory` keeps (height, index) packed in one 8-byte integer and
reads the hash from the block that holds it, so an address's history costs 8 bytes per tx.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Final, Protocol, overload

from simnet._blocks import Block

__all__ = ["AddressHistory"]

_INDEX_BITS: Final = 24  # txs per block below 16.7M; heights below 2^39
_INDEX_MASK: Final = (1 << _INDEX_BITS) - 1

Item = tuple[int, int, str]  # (height, index, hash)


class _Blocks(Protocol):
    @property
    def blocks(self) -> list[Block]: ...


class AddressHistory(Sequence[Item]):
    __slots__ = ("_at", "_chain")

    def __init__(self, chain: _Blocks) -> None:
        self._chain = chain  # its `blocks` list is replaced on import: read it at each use
        self._at = array("q")

    def append(self, height: int, index: int) -> None:
        if not 0 <= index <= _INDEX_MASK:
            raise ValueError(f"a block holds at most {_INDEX_MASK + 1} txs, got index {index}")
        self._at.append(height << _INDEX_BITS | index)

    def __len__(self) -> int:
        return len(self._at)

    @overload
    def __getitem__(self, position: int) -> Item: ...

    @overload
    def __getitem__(self, position: slice) -> list[Item]: ...

    def __getitem__(self, position: int | slice) -> Item | list[Item]:
        if isinstance(position, slice):
            return [self._item(packed) for packed in self._at[position]]
        return self._item(self._at[position])

    def _item(self, packed: int) -> Item:
        height, index = packed >> _INDEX_BITS, packed & _INDEX_MASK
        return height, index, self._chain.blocks[height].txs[index]
