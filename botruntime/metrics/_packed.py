"""A worker's interval delta as it crosses to the coordinator: one compressed payload.

The JSON form (`IntervalDelta.to_bytes`, versions 1-2) carries one base64, separately
compressed HDR blob per histogram and is checked field by field: at a thousand workers, each
sending ~40 histograms a second, decoding it was most of the coordinator's CPU. The packed form
(version 3) carries every histogram of the delta as sparse counters in one zlib stream, read
straight into numpy arrays:

    b"TBpk" | u8 version | u32 interval | u16 len | source (utf-8)     not compressed: a sender
    zlib( u32 len | keys | u32 len | head | index | counts )           may resend one body
                                                                       under its own ids
    keys    JSON [[name, {labels}], ...]: the histograms', then the counters', gauges' and
            examples' keys, in that order (a decoder remembers the keys it has seen, so a
            worker's usual key list is checked once)
    head    JSON {"h": [non-zero counters per histogram], "c": [counter values],
                  "g": [[last, max], ...], "e": [[example, ...], ...], "w": 4 or 8}
    index   u16 little-endian counter indexes (the run's shape has 23,552), ascending within
            each histogram as a packer writes them (a repeated one adds up, as HdrHistogram's
            own add does)
    counts  u32 or u64 little-endian ("w" bytes each)

A histogram's values are the sum of its counts, so nothing else travels. Every check runs
before a delta is handed on: a malformed payload raises `DeltaDecodeError` naming the field.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import orjson
from numpy.typing import NDArray

from botruntime.metrics._delta import (
    _MAX_EXAMPLE_CHARS,
    MAX_EXAMPLES,
    GaugeDelta,
    IntervalDelta,
)
from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._hdr import new_histogram
from botruntime.metrics._hdr_add import BlobAdder
from botruntime.metrics._keys import MetricKey, labels_of
from botruntime.metrics._span import Counts, Index

__all__ = ["PACKED_VERSION", "DeltaPacker", "DeltaUnpacker", "PackedDelta", "pack_body"]

PACKED_VERSION: Final = 3
_MAGIC: Final = b"TBpk"
_PREFIX: Final = struct.Struct("<4sBIH")  # magic, version, interval, source length
_LEN: Final = struct.Struct("<I")
_INDEX: Final = np.dtype("<u2")
_WIDTHS: Final[dict[int, np.dtype[np.unsignedinteger[Any]]]] = {
    4: np.dtype("<u4"),
    8: np.dtype("<u8"),
}
_KEYS_REMEMBERED: Final = 256  # distinct key lists a decoder keeps (one per worker shape)


@dataclass(frozen=True, slots=True)
class PackedDelta:
    """One interval of one source; histogram i holds `counts[bounds[i]:bounds[i+1]]` at the
    counter indexes `index[bounds[i]:bounds[i+1]]`, `totals[i]` values in all."""

    source: str
    interval: int
    keys: tuple[MetricKey, ...]  # one per histogram
    bounds: tuple[int, ...]  # len(keys) + 1 offsets into index and counts
    totals: tuple[int, ...]
    index: NDArray[np.integer[Any]]  # as sent (u16), or as a packer found them
    counts: NDArray[np.unsignedinteger[Any]]  # as sent (u32 or u64)
    counters: tuple[tuple[MetricKey, int], ...] = ()
    gauges: tuple[GaugeDelta, ...] = ()
    examples: tuple[tuple[MetricKey, tuple[str, ...]], ...] = ()

    def to_bytes(self) -> bytes:
        return pack_body(self.source, self.interval, self.body())

    def body(self) -> bytes:
        """The compressed part: everything but the source and interval."""
        keys = [*self.keys, *(k for k, _ in self.counters), *(g.key for g in self.gauges)]
        keys += [k for k, _ in self.examples]
        wide = bool(len(self.counts)) and int(self.counts.max()) > 0xFFFF_FFFF
        head = {
            "h": [b - a for a, b in zip(self.bounds, self.bounds[1:], strict=False)],
            "c": [v for _, v in self.counters],
            "g": [[g.last, g.max] for g in self.gauges],
            "e": [list(items) for _, items in self.examples],
            "w": 8 if wide else 4,
        }
        key_json = orjson.dumps([[k.name, dict(k.labels)] for k in keys])
        head_json = orjson.dumps(head)
        width = _WIDTHS[8 if wide else 4]
        return zlib.compress(
            b"".join(
                (
                    _LEN.pack(len(key_json)),
                    key_json,
                    _LEN.pack(len(head_json)),
                    head_json,
                    self.index.astype(_INDEX).tobytes(),
                    self.counts.astype(width).tobytes(),
                )
            ),
            1,
        )


def pack_body(source: str, interval: int, body: bytes) -> bytes:
    """The payload of a compressed body under a source and interval (a sender that resends one
    body under many ids calls this alone)."""
    name = source.encode()
    return _PREFIX.pack(_MAGIC, PACKED_VERSION, interval, len(name)) + name + body


class DeltaPacker:
    """The worker's side: an `IntervalDelta` (what `Recorder.flush` gives) as packed bytes.
    A recorder's histograms are packed from the counters it took; only a histogram that came
    as a blob (the JSON wire, a sealed record) is decoded."""

    def __init__(self) -> None:
        self._adder = BlobAdder()

    def packed(self, delta: IntervalDelta) -> PackedDelta:
        indexes: list[Index] = []
        counts: list[Counts] = []
        bounds, totals = [0], []
        for i, h in enumerate(delta.histograms):
            found = h.sparse
            if found is None:
                index, values = self._adder.sparse(h.blob, field=f"histograms[{i}].blob")
                total = int(values.sum())
            else:
                (index, values), total = found, h.count
            indexes.append(index)
            counts.append(values)
            bounds.append(bounds[-1] + len(index))
            totals.append(total)
        return PackedDelta(
            delta.source,
            delta.interval,
            tuple(h.key for h in delta.histograms),
            tuple(bounds),
            tuple(totals),
            np.concatenate(indexes) if indexes else np.zeros(0, dtype=np.intp),
            np.concatenate(counts) if counts else np.zeros(0, dtype=np.uint64),
            delta.counters,
            delta.gauges,
            delta.examples,
        )

    def pack(self, delta: IntervalDelta) -> bytes:
        return self.packed(delta).to_bytes()


class DeltaUnpacker:
    """The coordinator's side: packed bytes, every field checked, as a `PackedDelta`."""

    def __init__(self) -> None:
        self.counts_len: int = new_histogram().counts_len
        assert self.counts_len <= np.iinfo(_INDEX).max + 1, "the run's shape outgrew u16 indexes"
        self._keys: dict[bytes, tuple[MetricKey, ...]] = {}

    def unpack(self, data: bytes) -> PackedDelta:
        source, interval, body = _prefix(data)
        try:
            raw = zlib.decompress(body)
        except zlib.error as exc:
            raise DeltaDecodeError(f"the body does not decompress ({exc})", field="body") from exc
        view = memoryview(raw)
        key_json, at = _chunk(view, 0, "keys")
        head_json, at = _chunk(view, at, "head")
        keys = self._keys_of(bytes(key_json))
        head = _head(head_json)
        sizes = _sizes(head["h"])
        n_h, n_c, n_g, n_e = len(sizes), len(head["c"]), len(head["g"]), len(head["e"])
        if len(keys) != n_h + n_c + n_g + n_e:
            raise DeltaDecodeError(
                f"{len(keys)} keys for {n_h} histograms, {n_c} counters, {n_g} gauges and "
                f"{n_e} example lists",
                field="keys",
            )
        pairs = int(sizes.sum())
        width = _WIDTHS[head["w"]]
        want = at + pairs * (_INDEX.itemsize + width.itemsize)
        if len(raw) != want:
            raise DeltaDecodeError(
                f"{len(raw)} bytes, but {pairs} counters need {want}", field="counts"
            )
        index_end = at + pairs * _INDEX.itemsize
        raw_index = np.frombuffer(raw, dtype=_INDEX, count=pairs, offset=at)
        counts = np.frombuffer(raw, dtype=width, count=pairs, offset=index_end)
        totals = self._totals(raw_index, counts, sizes)
        bounds = [0, *np.cumsum(sizes).tolist()]
        h_keys = keys[:n_h]
        c_keys = keys[n_h : n_h + n_c]
        g_keys = keys[n_h + n_c : n_h + n_c + n_g]
        e_keys = keys[n_h + n_c + n_g :]
        return PackedDelta(
            source,
            interval,
            h_keys,
            tuple(bounds),
            tuple(totals),
            raw_index,
            counts,
            tuple(zip(c_keys, head["c"], strict=True)),
            tuple(
                GaugeDelta(k, last, top) for k, (last, top) in zip(g_keys, head["g"], strict=True)
            ),
            tuple((k, tuple(items)) for k, items in zip(e_keys, head["e"], strict=True)),
        )

    def _totals(
        self, raw_index: NDArray[np.uint16], counts: NDArray[np.unsignedinteger[Any]], sizes: Index
    ) -> list[int]:
        """Values per histogram; every index must lie in the run's shape (a repeated index
        adds up, as HdrHistogram's own add would)."""
        if not len(raw_index):
            return []
        top = int(raw_index.max())
        if top >= self.counts_len:
            raise DeltaDecodeError(
                f"counter index {top} is beyond the run's {self.counts_len} counters: build "
                "histograms with new_histogram()",
                field="index",
            )
        starts = np.zeros(len(sizes), dtype=np.intp)
        np.cumsum(sizes[:-1], out=starts[1:])
        totals: list[int] = np.add.reduceat(counts, starts, dtype=np.uint64).tolist()
        return totals

    def _keys_of(self, key_json: bytes) -> tuple[MetricKey, ...]:
        found = self._keys.get(key_json)
        if found is not None:
            return found
        try:
            raw = orjson.loads(key_json)
        except orjson.JSONDecodeError as exc:
            raise DeltaDecodeError(f"not JSON ({exc})", field="keys") from exc
        if not isinstance(raw, list):
            raise DeltaDecodeError("not a list of [name, {labels}]", field="keys")
        keys = []
        for i, item in enumerate(raw):
            ok = isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
            labels = item[1] if ok else None
            if (
                not ok
                or not isinstance(labels, dict)
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items())
            ):
                raise DeltaDecodeError("not [name, {label: value}] of strings", field=f"keys[{i}]")
            keys.append(MetricKey(item[0], labels_of(labels)))
        made = tuple(keys)
        if len(self._keys) >= _KEYS_REMEMBERED:
            self._keys.clear()
        self._keys[key_json] = made
        return made


def _is_packed(data: bytes) -> bool:
    return data[:4] == _MAGIC


def _prefix(data: bytes) -> tuple[str, int, memoryview]:
    if len(data) < _PREFIX.size or not _is_packed(data):
        raise DeltaDecodeError(
            "not a packed delta: the worker runs another testbots version; run the same "
            "version on coordinator and workers",
            field="magic",
        )
    _, version, interval, name_len = _PREFIX.unpack_from(data)
    if version != PACKED_VERSION:
        raise DeltaDecodeError(
            f"packed version {version} is not {PACKED_VERSION}: run the same testbots version "
            "on coordinator and workers",
            field="v",
        )
    end = _PREFIX.size + name_len
    if len(data) < end:
        raise DeltaDecodeError(f"the source name needs {name_len} bytes", field="source")
    try:
        source = data[_PREFIX.size : end].decode()
    except UnicodeDecodeError as exc:
        raise DeltaDecodeError(f"not UTF-8 ({exc})", field="source") from exc
    return source, interval, memoryview(data)[end:]


def _chunk(view: memoryview, at: int, field: str) -> tuple[memoryview, int]:
    if len(view) < at + _LEN.size:
        raise DeltaDecodeError("the body ends before its length", field=field)
    (size,) = _LEN.unpack_from(view, at)
    start, end = at + _LEN.size, at + _LEN.size + size
    if len(view) < end:
        raise DeltaDecodeError(f"{size} bytes announced, {len(view) - start} there", field=field)
    return view[start:end], end


def _head(data: memoryview) -> dict[str, Any]:
    try:
        head = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DeltaDecodeError(f"not JSON ({exc})", field="head") from exc
    if not isinstance(head, dict) or set(head) != {"h", "c", "g", "e", "w"}:
        raise DeltaDecodeError('not an object of "h", "c", "g", "e" and "w"', field="head")
    if head["w"] not in _WIDTHS:
        raise DeltaDecodeError(f"count width {head['w']!r} is not 4 or 8", field="head.w")
    for field in ("h", "c", "g", "e"):
        if not isinstance(head[field], list):
            raise DeltaDecodeError("not a list", field=f"head.{field}")
    for i, n in enumerate(head["c"]):
        if not _whole(n) or n < 0:
            raise DeltaDecodeError(f"{n!r} is not a count >= 0", field=f"head.c[{i}]")
    for i, g in enumerate(head["g"]):
        if not (isinstance(g, list) and len(g) == 2 and all(_number(x) for x in g)):
            raise DeltaDecodeError(f"{g!r} is not [last, max]", field=f"head.g[{i}]")
        head["g"][i] = [float(x) for x in g]
    for i, items in enumerate(head["e"]):
        if not (
            isinstance(items, list)
            and len(items) <= MAX_EXAMPLES
            and all(isinstance(x, str) and len(x) <= _MAX_EXAMPLE_CHARS for x in items)
        ):
            raise DeltaDecodeError(
                f"at most {MAX_EXAMPLES} strings of <= {_MAX_EXAMPLE_CHARS} characters",
                field=f"head.e[{i}]",
            )
    return head


def _sizes(sizes: list[object]) -> Index:
    """Counters per histogram, whole numbers >= 1 (checked as one array)."""
    if not sizes:
        return np.zeros(0, dtype=np.intp)
    try:
        found = np.array(sizes)
    except (ValueError, OverflowError):
        found = None
    if found is None or found.dtype.kind not in "iu" or found.ndim != 1:
        raise DeltaDecodeError("not a list of whole numbers", field="head.h")
    if int(found.min()) < 1:
        raise DeltaDecodeError("a histogram sends >= 1 counter", field="head.h")
    return found.astype(np.intp)


def _whole(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool)


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)
