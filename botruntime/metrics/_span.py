"""A histogram merge that is still growing, held as the span of counters it touched.

A whole histogram of the run's shape is 23,552 counters (184 KB); one series' merge of an
interval touches a few thousand of them. The coordinator keeps one `SpanCounts` per series of
each interval that still takes deltas, and one per series for the whole run; `MergedIntervals`
folds packed deltas into spans, and `BlobAdder` encodes a span back into a blob.
"""

from __future__ import annotations

import ctypes
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["Counts", "Index", "SpanCounts"]

Counts = NDArray[np.uint64]  # counters; a source's index i is its counter `base + i`
Index = NDArray[np.intp]  # counter indexes of a sparse histogram, ascending
_WORD: Final = 8
# arrays are made in whole steps of counters, so a growing span is not re-made for every
# counter it gains
_STEP: Final = 512


class SpanCounts:
    """Counters from the lowest to the highest non-zero one, and their total.

    The array grows (with some slack) to cover whatever is added; `first` and `last` are the
    lowest and highest non-zero counters (-1 while empty). Counters are added with numpy's
    vectorised addition over the span (a few times faster than a per-counter C loop).
    """

    __slots__ = ("_base", "_counts", "_end", "first", "last", "total")

    def __init__(self) -> None:
        self._base = 0  # the counter index of _counts[0]
        self._end = 0  # one past the counter index of _counts[-1]
        self._counts: Counts | None = None
        self.first = -1
        self.last = -1
        self.total = 0

    @property
    def nbytes(self) -> int:
        return 0 if self._counts is None else int(self._counts.nbytes)

    def add_counts(
        self, source: Counts, base: int, first: int, last: int, total: int, *, limit: int
    ) -> None:
        """Add counters [first, last] of `source`, whose element 0 is counter `base` (`limit`:
        the full array's length)."""
        if total == 0:
            return
        if first < self._base or last >= self._end:
            self._cover(first, last, limit)
        counts = self._counts
        assert counts is not None
        at = first - self._base
        into = counts[at : at + last - first + 1]
        into += source[first - base : last - base + 1]
        self.total += total
        if self.first < 0 or first < self.first:
            self.first = first
        if last > self.last:
            self.last = last

    def add_span(self, other: SpanCounts, *, limit: int) -> None:
        if other._counts is None or other.total == 0:
            return
        self.add_counts(
            other._counts, other._base, other.first, other.last, other.total, limit=limit
        )

    def copy_into(self, counts_at: int) -> None:
        """Write counters [first, last] into the full-length counts array at `counts_at`."""
        if self._counts is None or self.total == 0:
            return
        ctypes.memmove(
            counts_at + self.first * _WORD,
            self._counts.ctypes.data + (self.first - self._base) * _WORD,
            (self.last - self.first + 1) * _WORD,
        )

    def _cover(self, first: int, last: int, limit: int) -> None:
        old = self._counts
        low = first if old is None else min(first, self._base)
        high = last if old is None else max(last, self._end - 1)
        slack = (high - low + 1) // 4 + 8
        base = max(low - slack, 0) // _STEP * _STEP
        end = min(-(-(high + slack + 1) // _STEP) * _STEP, limit) - 1
        grown: Counts = np.zeros(end - base + 1, dtype=np.uint64)
        if old is not None:
            at = self._base - base
            grown[at : at + len(old)] = old
        self._base, self._end, self._counts = base, end + 1, grown
