"""The one histogram shape of testbots: 1 µs .. 1 h at 3 significant digits (DESIGN §5).

Every histogram in a run has this shape, so merging is an array addition and a transported
delta can be refused when its shape differs instead of being merged slowly and wrongly.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Final

import numpy as np
from hdrh.histogram import HdrHistogram

from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._span import Counts, Index

__all__ = [
    "HIGHEST_US",
    "LOWEST_US",
    "SIGNIFICANT_DIGITS",
    "counts_index",
    "decode",
    "new_histogram",
    "nonzero_counts",
    "record_into",
    "take_counts",
    "to_us",
]

LOWEST_US: Final = 1
HIGHEST_US: Final = 3_600_000_000
SIGNIFICANT_DIGITS: Final = 3

# The shape's bucket layout, as HdrHistogram derives it: lowest 1 µs gives unit magnitude 0,
# 3 digits need 2,048 sub-buckets (half: 1,024, magnitude 10).
_HALF_MAGNITUDE: Final = 10
_HALF_COUNT: Final = 1 << _HALF_MAGNITUDE
_SUB_BUCKET_MASK: Final = (2 << _HALF_MAGNITUDE) - 1
_BUCKET_SHIFT: Final = _HALF_MAGNITUDE + 1
_WORD: Final = 8  # bytes per counter (HdrHistogram's default word size)
_EMPTY_INDEX: Final[Index] = np.zeros(0, dtype=np.intp)
_EMPTY_COUNTS: Final[Counts] = np.zeros(0, dtype=np.uint64)


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def to_us(seconds: float) -> int:
    """Seconds as whole µs inside the histogram's range (a value beyond 1 h counts as 1 h)."""
    us = int(seconds * 1_000_000)
    return 0 if us < 0 else (HIGHEST_US if us > HIGHEST_US else us)


def counts_index(us: int) -> int:
    """The counter that value `us` (0 .. HIGHEST_US) is counted in: HdrHistogram's own index
    for this shape, computed in a few integer operations instead of its five method calls."""
    bucket = (us | _SUB_BUCKET_MASK).bit_length() - _BUCKET_SHIFT
    return ((bucket + 1) << _HALF_MAGNITUDE) + (us >> bucket) - _HALF_COUNT


def record_into(hist: HdrHistogram, us: int) -> None:
    """`hist.record_value(us)` for a value already in 0 .. HIGHEST_US, at a third of its cost:
    a recorder records two values per request, on the hot path."""
    bucket = (us | _SUB_BUCKET_MASK).bit_length() - _BUCKET_SHIFT
    hist.counts[((bucket + 1) << _HALF_MAGNITUDE) + (us >> bucket) - _HALF_COUNT] += 1
    hist.total_count += 1
    if us < hist.min_value:
        hist.min_value = us
    if us > hist.max_value:
        hist.max_value = us


def nonzero_counts(window: Counts, first: int) -> tuple[Index, Counts]:
    """The non-zero counters of `window` (counter `first` onwards of a histogram): their
    indexes, ascending, and their counts, copied out. The one rule for a histogram as sparse
    counters, whether it was recorded here (`take_counts`) or decoded from a blob."""
    at = np.flatnonzero(window != 0)  # a bool mask first: twice as fast as on the counters
    if not len(at):
        return _EMPTY_INDEX, _EMPTY_COUNTS
    return at + first, window[at]


def take_counts(hist: HdrHistogram) -> tuple[Index, Counts]:
    """`hist`'s non-zero counters (`nonzero_counts`), and `hist` emptied in place, as new.

    Every non-zero counter lies between the counters of `min_value` and `max_value`, which
    recording keeps (HdrHistogram's own encode reads up to `max_value`'s counter): only that
    span is read and zeroed, a few hundred counters of a second instead of the 23,552 of the
    shape (and ~50x cheaper than making a new histogram)."""
    if not hist.total_count:
        return _EMPTY_INDEX, _EMPTY_COUNTS
    top = hist.counts_len - 1  # a value recorded past HIGHEST_US still has its counter
    first = min(counts_index(hist.min_value), top)
    last = min(counts_index(hist.max_value), top)
    counts: Counts = np.frombuffer(hist.counts, dtype=np.uint64, count=last + 1)
    window = counts[first:]
    found = nonzero_counts(window, first)
    ctypes.memset(ctypes.addressof(hist.counts) + first * _WORD, 0, (last - first + 1) * _WORD)
    hist.total_count = 0
    hist.min_value = sys.maxsize
    hist.max_value = 0
    return found


def decode(blob: str, *, field: str) -> HdrHistogram:
    """A transported histogram, refused unless it has the run's shape."""
    try:
        hist = HdrHistogram.decode(blob)
    except Exception as exc:  # hdrh raises TypeError, zlib.error and its own cookie errors
        raise DeltaDecodeError(
            f"not an encoded HDR histogram ({type(exc).__name__}: {exc}); send hist.encode()",
            field=field,
        ) from exc
    shape = (hist.lowest_trackable_value, hist.highest_trackable_value, hist.significant_figures)
    if shape != (LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS):
        raise DeltaDecodeError(
            f"histogram shape {shape} differs from the run's "
            f"({LOWEST_US}, {HIGHEST_US}, {SIGNIFICANT_DIGITS}); build it with new_histogram()",
            field=field,
        )
    return hist
