"""Adding encoded histograms into a run's histograms without building one histogram per blob.

`HdrHistogram.decode(blob)` then `add` allocates and zeroes a 23,552-counter array per blob and
adds all of it (60-136 µs); one worker's second of one series holds a few hundred non-zero
counters. `BlobAdder` decodes into one reused scratch array and adds only the span from the
first to the last non-zero counter, then sets total, min and max exactly as `add` would: the
same histogram as decode + add, several times cheaper (bench/coordinator.py).

Checking and adding are two steps so a caller can check every blob of a delta before any is
added: a bad delta changes nothing.
"""

from __future__ import annotations

import binascii
import ctypes
import struct
import zlib
from dataclasses import dataclass
from typing import Final

from hdrh.codec import (  # add_array and decode are pyhdrh's C functions, re-exported
    V2_COMPRESSION_COOKIE_BASE,
    V2_ENCODING_COOKIE_BASE,
    add_array,
    decode,
    payload_header_size,
)
from hdrh.histogram import HdrHistogram

from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._hdr import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS, new_histogram

__all__ = ["BlobAdder", "CheckedBlob"]

_WORD: Final = 8
_COOKIE_BITS: Final = ~0xF0
_OUTER: Final = struct.Struct(">II")  # hdrh's ExternalHeader: cookie, compressed length
# hdrh's PayloadHeader: cookie, payload length, normalizing offset, significant figures,
# lowest and highest trackable value, conversion ratio
_INNER: Final = struct.Struct(">IIIIQQd")


@dataclass(frozen=True, slots=True)
class CheckedBlob:
    """A blob whose envelope, shape and counters decoded cleanly: adding it cannot fail."""

    payload: bytes  # the decompressed payload: header + varint counters
    total: int
    first: int  # index of the first non-zero counter (-1 when empty)
    last: int  # index of the last non-zero counter (-1 when empty)


class BlobAdder:
    """One scratch counter array, reused for every blob (use it from one thread)."""

    def __init__(self) -> None:
        shape = new_histogram()
        self.counts_len: int = shape.counts_len
        self._scratch = (ctypes.c_ulonglong * self.counts_len)()
        self._dirty = 0  # counters [0, _dirty) may hold a previous blob's values
        self._shape = shape
        self._lowest: dict[int, int] = {}  # counter index -> its lowest value
        self._highest: dict[int, int] = {}  # counter index -> its highest value

    def check(self, blob: str, *, field: str) -> CheckedBlob:
        """Everything but the addition; DeltaDecodeError names `field` for a bad blob."""
        try:
            payload, shape = _payload(blob)
        except (ValueError, binascii.Error, zlib.error) as exc:
            raise DeltaDecodeError(
                f"not an encoded HDR histogram ({type(exc).__name__}: {exc}); send hist.encode()",
                field=field,
            ) from exc
        if shape != (LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS):
            raise DeltaDecodeError(
                f"histogram shape {shape} differs from the run's "
                f"({LOWEST_US}, {HIGHEST_US}, {SIGNIFICANT_DIGITS}); build it with new_histogram()",
                field=field,
            )
        try:
            total, first, last = self._decode(payload)
        except Exception as exc:  # pyhdrh raises ValueError/IndexError on a bad varint stream
            raise DeltaDecodeError(
                f"the histogram's counters do not decode ({type(exc).__name__}: {exc})",
                field=field,
            ) from exc
        return CheckedBlob(payload, total, first, last)

    def add(self, checked: CheckedBlob, into: HdrHistogram) -> None:
        """`into.add(HdrHistogram.decode(blob))`, counter for counter and field for field."""
        if checked.total == 0:
            into.min_value = 0  # add() takes an empty histogram's minimum as 0
            return
        self._decode(checked.payload)
        first, last = checked.first, checked.last
        add_array(
            ctypes.addressof(into.counts) + first * _WORD,
            ctypes.addressof(self._scratch) + first * _WORD,
            last - first + 1,
            _WORD,
        )
        into.total_count += checked.total
        into.max_value = max(into.max_value, self._highest_of(last))
        # into.get_min_value(): 0 if counter 0 is set, else min_value (a lowest value or maxsize)
        current_min = 0 if into.counts[0] > 0 else into.min_value
        into.min_value = min(current_min, 0 if first == 0 else self._lowest_of(first))

    def add_blob(self, blob: str, into: HdrHistogram, *, field: str) -> None:
        self.add(self.check(blob, field=field), into)

    def _lowest_of(self, index: int) -> int:
        value = self._lowest.get(index)
        if value is None:
            value = self._lowest[index] = self._shape.get_value_from_index(index)
        return value

    def _highest_of(self, index: int) -> int:
        """get_max_value() of a histogram whose last non-zero counter is `index`."""
        value = self._highest.get(index)
        if value is None:
            shape = self._shape
            top = shape.get_highest_equivalent_value(shape.get_value_from_index(index))
            value = self._highest[index] = shape.get_highest_equivalent_value(top)
        return value

    def _decode(self, payload: bytes) -> tuple[int, int, int]:
        if self._dirty:
            ctypes.memset(self._scratch, 0, self._dirty * _WORD)
        self._dirty = self.counts_len  # until decode says how far it wrote
        result = decode(
            payload, payload_header_size, ctypes.addressof(self._scratch), self.counts_len, _WORD
        )
        total = int(result["total"])
        first, last = int(result["min_nonzero_index"]), int(result["max_nonzero_index"])
        if total == 0:
            first = last = -1
        self._dirty = last + 1
        return total, first, last


def _payload(blob: str) -> tuple[bytes, tuple[int, int, int]]:
    """The decompressed payload of a base64 V2 histogram blob, envelope checked, and its shape
    (lowest, highest, significant figures)."""
    data = binascii.a2b_base64(blob)
    if len(data) < _OUTER.size:
        raise ValueError("base64 decoded message too short")
    cookie, length = _OUTER.unpack_from(data)
    if cookie & _COOKIE_BITS != V2_COMPRESSION_COOKIE_BASE:
        raise ValueError(f"invalid cookie {cookie:x}")
    if length != len(data) - _OUTER.size:
        raise ValueError(f"header says {length} bytes, {len(data) - _OUTER.size} came")
    payload = zlib.decompress(memoryview(data)[_OUTER.size :])
    if len(payload) < payload_header_size:
        raise ValueError(f"payload of {len(payload)} bytes is shorter than its header")
    cookie, _, _, digits, lowest, highest, _ = _INNER.unpack_from(payload)
    if cookie & _COOKIE_BITS != V2_ENCODING_COOKIE_BASE:
        raise ValueError(f"invalid payload cookie {cookie:x}")
    return payload, (lowest, highest, digits)
