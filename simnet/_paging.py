"""The two weak ways to list an address's txs, each behind its switch (SCENARIOS.md §8).

`offset_page` pages the newest-first history by an offset, as many explorers do: when new txs
arrive between two pages, items shift, so a reader sees duplicates and misses others (L5 C3c).
`scan_history` finds an address's txs by walking every committed block instead of reading the
per-address index: the answer is the same, the cost grows with the chain (L9 C3).
"""

from __future__ import annotations

from collections.abc import Sequence

from botruntime.chain.tx import JsonValue
from simnet._chain import Chain

__all__ = ["offset_page", "scan_history"]


def scan_history(chain: Chain, address: str) -> list[tuple[int, int, str]]:
    """Every (height, index, hash) of a committed tx that `address` signed or received."""
    found: list[tuple[int, int, str]] = []
    needle = f'"{address}"'.encode()
    for block in chain.blocks[1:]:
        for index, (tx_hash, body) in enumerate(zip(block.txs, block.bodies, strict=True)):
            if needle in body:
                found.append((block.height, index, tx_hash))
    return found


def offset_page(
    history: Sequence[tuple[int, int, str]], offset: int, limit: int, served: int
) -> tuple[list[JsonValue], int | None]:
    """One page of the newest-first history from `offset`, and the next offset (or None)."""
    newest_first = [item for item in reversed(history) if item[0] <= served]
    page = newest_first[offset : offset + limit]
    txs: list[JsonValue] = [{"hash": h, "height": ht, "index": i} for ht, i, h in page]
    return txs, (offset + limit if offset + limit < len(newest_first) else None)
