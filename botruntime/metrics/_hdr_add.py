"""Adding encoded histograms into a run's histograms without building one histogram per blob.

`HdrHistogram.decode(blob)` then `add` allocates and zeroes a 23,552-counter array per blob and
adds all of it (60-136 µs); one worker's second of one series holds a few hundred non-zero
counters. `BlobAdder` decodes into one reused scratch array and adds only the span from the
first to the last non-zero counter, then sets total, min and max exactly as `add` would: the
same histogram as decode + add, several times cheaper (bench/coordinator.py).

Checking and adding are two steps so a caller can check every blob of a delta before any is
added: a bad delta changes nothing.

`sparse` decodes a blob into its non-zero counters (how a delta that came as a blob is packed,
botruntime/metrics/_packed.py), `encode` turns a merged `SpanCounts` back into a blob, and
`encode_sparse` a recorder's non-zero counters (`HistogramDelta.blob`, made only when asked).
"""

from __future__ import annotations

import binascii
import ctypes
import struct
import zlib
from typing import Final, NamedTuple

import numpy as np
from hdrh.codec import (  # add_array, decode and encode are pyhdrh's C functions, re-exported
    V2_COMPRESSION_COOKIE_BASE,
    V2_ENCODING_COOKIE_BASE,
    V2_MAX_WORD_SIZE_IN_BYTES,
    add_array,
    decode,
    encode,
    get_compression_cookie,
    get_encoding_cookie,
    payload_header_size,
)
from hdrh.histogram import HdrHistogram

from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._hdr import (
    HIGHEST_US,
    LOWEST_US,
    SIGNIFICANT_DIGITS,
    new_histogram,
    nonzero_counts,
)
from botruntime.metrics._span import Counts, Index, SpanCounts

__all__ = ["BlobAdder", "CheckedBlob", "encode_sparse"]

_WORD: Final = 8
_COOKIE_BITS: Final = ~0xF0
_OUTER: Final = struct.Struct(">II")  # hdrh's ExternalHeader: cookie, compressed length
# hdrh's PayloadHeader: cookie, payload length, normalizing offset, significant figures,
# lowest and highest trackable value, conversion ratio
_INNER: Final = struct.Struct(">IIIIQQd")
_ENCODING_COOKIE: Final = get_encoding_cookie()
_COMPRESSION_COOKIE: Final = get_compression_cookie()
_VARINT_MAX: Final = V2_MAX_WORD_SIZE_IN_BYTES  # bytes a counter takes at most, encoded


class CheckedBlob(NamedTuple):  # a tuple: made per blob on the coordinator's hot path
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
        self._at = ctypes.addressof(self._scratch)
        self._counts: Counts = np.frombuffer(self._scratch, dtype=np.uint64)
        self._bytes = memoryview(self._scratch).cast("B")
        self._zeros = memoryview(bytes(self.counts_len * _WORD))
        self._dirty = (0, 0)  # bytes [from, to) of the scratch may hold a previous blob's
        self._shape = shape
        self._varints: ctypes.Array[ctypes.c_byte] | None = None  # made on the first encode()
        self._lowest: dict[int, int] = {}  # counter index -> its lowest value
        self._highest: dict[int, int] = {}  # counter index -> its highest value

    def check(self, blob: str, *, field: str) -> CheckedBlob:
        """Everything but the addition; DeltaDecodeError names `field` for a bad blob."""
        payload = self.unwrap(blob, field=field)
        total, first, last = self._decoded(payload, field)
        return CheckedBlob(payload, total, first, last)

    def unwrap(self, blob: str, *, field: str) -> bytes:
        """The decompressed payload, envelope and shape checked; its counters are not yet."""
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
        return payload

    def sparse(self, blob: str, *, field: str) -> tuple[Index, Counts]:
        """A blob's non-zero counters: their indexes (ascending) and counts, copied out."""
        total, first, last = self._decoded(self.unwrap(blob, field=field), field)
        if total == 0:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.uint64)
        return nonzero_counts(self._counts[first : last + 1], first)

    def _decoded(self, payload: bytes, field: str) -> tuple[int, int, int]:
        try:
            return self._decode(payload)
        except Exception as exc:  # pyhdrh raises ValueError/IndexError on a bad varint stream
            raise DeltaDecodeError(
                f"the histogram's counters do not decode ({type(exc).__name__}: {exc})",
                field=field,
            ) from exc

    def add(self, checked: CheckedBlob, into: HdrHistogram) -> None:
        """`into.add(HdrHistogram.decode(blob))`, counter for counter and field for field."""
        if checked.total == 0:
            into.min_value = 0  # add() takes an empty histogram's minimum as 0
            return
        self._decode(checked.payload)
        first, last = checked.first, checked.last
        add_array(
            ctypes.addressof(into.counts) + first * _WORD,
            self._at + first * _WORD,
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

    def encode(self, span: SpanCounts) -> str:
        """The blob `HdrHistogram.encode()` gives for a histogram holding these counts, byte
        for byte, made through the scratch array and one reused buffer (hdrh's own encode
        makes a ctypes array type per length, and ctypes keeps every type it made)."""
        low, high = self._dirty
        if high > low:
            self._bytes[low:high] = self._zeros[low:high]
        limit = 0
        if span.total:
            span.copy_into(self._at)
            self._dirty = (span.first * _WORD, (span.last + 1) * _WORD)
            limit = span.last + 1
        else:
            self._dirty = (0, 0)
        room = self.counts_len * _VARINT_MAX
        if self._varints is None:
            self._varints = (ctypes.c_byte * room)()
        at = ctypes.addressof(self._varints)
        length = encode(self._at, limit, _WORD, at, room)
        return _wrapped(ctypes.string_at(at, length))

    def histogram(self, span: SpanCounts) -> HdrHistogram:
        """A histogram holding these counts, as adding the blobs into it would have made it."""
        hist = new_histogram()
        if span.total:
            span.copy_into(ctypes.addressof(hist.counts))
            hist.total_count = span.total
            hist.max_value = self._highest_of(span.last)
            hist.min_value = 0 if span.first == 0 else self._lowest_of(span.first)
        return hist

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
        low, high = self._dirty
        if high > low:
            self._bytes[low:high] = self._zeros[low:high]  # a memset without a foreign call
        self._dirty = (0, self.counts_len * _WORD)  # until decode says where it wrote
        result = decode(payload, payload_header_size, self._at, self.counts_len, _WORD)
        total: int = result["total"]
        if total == 0:
            self._dirty = (0, 0)
            return 0, -1, -1
        first: int = result["min_nonzero_index"]
        last: int = result["max_nonzero_index"]
        # decode writes the non-zero counters only: [first, last] holds all this blob wrote
        self._dirty = (first * _WORD, (last + 1) * _WORD)
        return total, first, last


def encode_sparse(index: Index, counts: Counts) -> str:
    """The blob `HdrHistogram.encode()` gives for a histogram holding `counts` at the counter
    indexes `index` (ascending, each once: as `nonzero_counts` gives them), byte for byte.
    Holds no state, so a delta's blob can be made wherever it is first asked for."""
    limit = int(index[-1]) + 1 if len(index) else 0
    full: Counts = np.zeros(limit, dtype=np.uint64)
    full[index] = counts
    room = max(limit, 1) * _VARINT_MAX
    varints = np.empty(room, dtype=np.uint8)
    length = encode(full.ctypes.data, limit, _WORD, varints.ctypes.data, room)
    return _wrapped(varints[:length].tobytes())


def _wrapped(varints: bytes) -> str:
    """hdrh's V2 envelope of a histogram of the run's shape whose counters encode as `varints`:
    payload header, zlib, compression header, base64."""
    payload = _INNER.pack(
        _ENCODING_COOKIE, len(varints), 0, SIGNIFICANT_DIGITS, LOWEST_US, HIGHEST_US, 1.0
    )
    packed = zlib.compress(payload + varints)
    wrapped = _OUTER.pack(_COMPRESSION_COOKIE, len(packed)) + packed
    return binascii.b2a_base64(wrapped, newline=False).decode("ascii")


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
