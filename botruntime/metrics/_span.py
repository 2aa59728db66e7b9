"""A histogram merge that is still growing, held as the span of counters it touched.

A whole histogram of the run's shape is 23,552 counters (184 KB); one series' merge of an
interval touches a few thousand of them. The coordinator keeps one `SpanCounts` per series of
each interval that still takes deltas, and one per series for the whole run; `BlobAdder`
merges blobs into spans and encodes a span back into a blob.
"""

from __future__ import annotations

import ctypes
from typing import Final

from hdrh.codec import add_array  # pyhdrh's C function, re-exported

__all__ = ["SpanCounts"]

_WORD: Final = 8
# arrays are made in whole steps of counters: ctypes keeps every array type it made (one per
# length), so a long run must not ask for thousands of lengths
_STEP: Final = 512


class SpanCounts:
    """Counters from the lowest to the highest non-zero one, and their total.

    The array grows (with some slack) to cover whatever is added; `first` and `last` are the
    lowest and highest non-zero counters (-1 while empty). Counter addresses (`counts_at`) are
    those of a full-length counts array: index i lives at counts_at + 8 * i.
    """

    __slots__ = ("_at_zero", "_base", "_counts", "_end", "first", "last", "total")

    def __init__(self) -> None:
        self._base = 0  # the counter index of _counts[0]
        self._end = 0  # one past the counter index of _counts[-1]
        self._at_zero = 0  # the address counter 0 would have: only [first, last] is read
        self._counts: ctypes.Array[ctypes.c_ulonglong] | None = None
        self.first = -1
        self.last = -1
        self.total = 0

    @property
    def nbytes(self) -> int:
        return 0 if self._counts is None else len(self._counts) * _WORD

    def add_counts(self, counts_at: int, first: int, last: int, total: int, *, limit: int) -> None:
        """Add counters [first, last] (`limit`: the full array's length)."""
        if total == 0:
            return
        if first < self._base or last >= self._end:
            self._cover(first, last, limit)
        add_array(self._at_zero + first * _WORD, counts_at + first * _WORD, last - first + 1, _WORD)
        self.total += total
        if self.first < 0 or first < self.first:
            self.first = first
        if last > self.last:
            self.last = last

    def add_span(self, other: SpanCounts, *, limit: int) -> None:
        if other._counts is None or other.total == 0:
            return
        self.add_counts(other._at_zero, other.first, other.last, other.total, limit=limit)

    def take_counts(self, counts_at: int, first: int, last: int, total: int) -> None:
        """Subtract counters [first, last] that were added before (a Python loop: rare)."""
        counts = self._counts
        assert counts is not None and self._base <= first and last < self._end
        taken = (ctypes.c_ulonglong * (last - first + 1)).from_address(counts_at + first * _WORD)
        offset = first - self._base
        for i, value in enumerate(taken):
            if value:
                counts[offset + i] -= value
        self.total -= total
        nonzero = [i for i in range(self.first, self.last + 1) if counts[i - self._base]]
        self.first, self.last = (nonzero[0], nonzero[-1]) if nonzero else (-1, -1)

    def copy_into(self, counts_at: int) -> None:
        """Write counters [first, last] into the full-length counts array at `counts_at`."""
        if self._counts is None or self.total == 0:
            return
        ctypes.memmove(
            counts_at + self.first * _WORD,
            self._at_zero + self.first * _WORD,
            (self.last - self.first + 1) * _WORD,
        )

    def _cover(self, first: int, last: int, limit: int) -> None:
        old = self._counts
        low = first if old is None else min(first, self._base)
        high = last if old is None else max(last, self._end - 1)
        slack = (high - low + 1) // 4 + 8
        base = max(low - slack, 0) // _STEP * _STEP
        end = min(-(-(high + slack + 1) // _STEP) * _STEP, limit) - 1
        grown = (ctypes.c_ulonglong * (end - base + 1))()
        if old is not None:
            ctypes.memmove(
                ctypes.addressof(grown) + (self._base - base) * _WORD,
                ctypes.addressof(old),
                len(old) * _WORD,
            )
        self._base, self._end, self._counts = base, end + 1, grown
        self._at_zero = ctypes.addressof(grown) - base * _WORD
