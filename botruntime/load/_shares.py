"""Splitting work by weight so that the shares put back together are exactly the whole.

Item i (an arrival, a session) sits at position(i) = i·φ·2⁶⁴ mod 2⁶⁴ (a Weyl sequence with the
golden ratio), and a share owns a half-open range [lo, hi) of positions. The ranges of a split
tile the parent's, so every item belongs to exactly one share; the golden ratio interleaves
them, so each share's items are spread evenly in time and its size tracks its weight. Splitting
a share again (a lost worker's remainder over the survivors) subdivides its range: the union
is still exact.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Final

from botruntime.load._errors import PlanError

__all__ = ["SPAN", "position", "split_range"]

SPAN: Final = 1 << 64
_MASK: Final = SPAN - 1
_GOLDEN: Final = 0x9E3779B97F4A7C15  # 2⁶⁴/φ, odd: i -> position(i) is a bijection mod 2⁶⁴


def position(index: int) -> int:
    return (index * _GOLDEN) & _MASK


def split_range(lo: int, hi: int, weights: Sequence[int]) -> list[tuple[int, int]]:
    """[lo, hi) cut into consecutive ranges proportional to `weights` (positive integers)."""
    if not weights:
        raise PlanError(
            "give at least one weight, e.g. [1, 1] for two equal shares", field="weights"
        )
    for i, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, int) or w <= 0:
            raise PlanError(
                f"a weight is a positive integer (a worker's capacity), got {w!r}",
                field=f"weights[{i}]",
            )
    total = sum(weights)
    cuts = [lo]
    running = 0
    for w in weights:
        running += w
        cuts.append(lo + (hi - lo) * running // total)
    return list(itertools.pairwise(cuts))
