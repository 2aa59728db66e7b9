"""One interval of one worker's metrics, as sent to whoever merges them (DESIGN §5).

Histograms travel HDR-encoded (compressed, base64), so a merge is exact: the coordinator adds
the very counts the worker recorded. A worker sends its deltas packed instead (`_packed.py`),
straight from the counters its recorder took: a blob is made only where one is asked for.
A counter may carry a few examples of what it counted (tx hashes, at most `MAX_EXAMPLES` per
key and interval): the evidence a failing criterion shows. Decoding checks the wire shape
with pydantic at this edge; a malformed delta raises `DeltaDecodeError` naming the field.

Wire versions: 2 added `examples`; a version 1 delta (none) still reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._hdr_add import encode_sparse
from botruntime.metrics._keys import Labels, MetricKey, labels_of
from botruntime.metrics._span import Counts, Index

__all__ = ["MAX_EXAMPLES", "GaugeDelta", "HistogramDelta", "IntervalDelta"]

_WIRE_VERSION = 2
_READABLE_VERSIONS: Final = frozenset({1, _WIRE_VERSION})
MAX_EXAMPLES: Final = 3  # examples per counter key and interval, everywhere they travel
_MAX_EXAMPLE_CHARS: Final = 128  # a tx hash is 64 hex digits


class HistogramDelta:
    """One series' `count` values of an interval, in one of two forms: the non-zero counters
    a `Recorder` took (`sparse`: what a packed delta carries, so a worker never encodes), or
    the blob of `HdrHistogram.encode()` that came over the JSON wire. `blob` is made from the
    counters the first time it is asked for (the JSON wire, `RunMetrics`, metrics.bin), and
    from then on only the blob is kept: a few hundred bytes instead of 16 per counter, for a
    runner that keeps every delta of a run. Deltas are equal when key, count and blob are."""

    __slots__ = ("_blob", "_sparse", "count", "key")

    def __init__(self, key: MetricKey, blob: str, count: int) -> None:
        self.key = key
        self.count = count
        self._blob: str | None = blob
        self._sparse: tuple[Index, Counts] | None = None

    @classmethod
    def of_counts(cls, key: MetricKey, index: Index, counts: Counts, count: int) -> HistogramDelta:
        """Counters as `take_counts` gives them (indexes ascending, each once; `count` is
        their sum)."""
        made = cls.__new__(cls)
        made.key = key
        made.count = count
        made._blob = None
        made._sparse = (index, counts)
        return made

    @property
    def blob(self) -> str:
        if self._blob is None:
            assert self._sparse is not None
            self._blob = encode_sparse(*self._sparse)
            self._sparse = None
        return self._blob

    @property
    def sparse(self) -> tuple[Index, Counts] | None:
        """The counters as recorded, or None once only the blob is held (decode it with
        `BlobAdder.sparse`)."""
        return self._sparse

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HistogramDelta):
            return NotImplemented
        return (self.key, self.count, self.blob) == (other.key, other.count, other.blob)

    def __hash__(self) -> int:
        return hash((self.key, self.count))

    def __repr__(self) -> str:
        form = "counters" if self._sparse is not None else "blob"
        return f"HistogramDelta({self.key!r}, count={self.count}, {form})"


@dataclass(frozen=True, slots=True)
class GaugeDelta:
    key: MetricKey
    last: float
    max: float


@dataclass(frozen=True, slots=True)
class IntervalDelta:
    """What changed in [start + interval*interval_s, start + (interval+1)*interval_s)."""

    source: str  # the worker (or process) that recorded it
    interval: int
    histograms: tuple[HistogramDelta, ...] = ()
    counters: tuple[tuple[MetricKey, int], ...] = ()
    gauges: tuple[GaugeDelta, ...] = ()
    # a few of the things a counter counted (tx hashes), at most MAX_EXAMPLES per key
    examples: tuple[tuple[MetricKey, tuple[str, ...]], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.histograms or self.counters or self.gauges or self.examples)

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "v": _WIRE_VERSION,
                "source": self.source,
                "interval": self.interval,
                "histograms": [
                    {
                        "name": h.key.name,
                        "labels": dict(h.key.labels),
                        "blob": h.blob,
                        "count": h.count,
                    }
                    for h in self.histograms
                ],
                "counters": [
                    {"name": k.name, "labels": dict(k.labels), "value": v} for k, v in self.counters
                ],
                "gauges": [
                    {"name": g.key.name, "labels": dict(g.key.labels), "last": g.last, "max": g.max}
                    for g in self.gauges
                ],
                "examples": [
                    {"name": k.name, "labels": dict(k.labels), "items": list(items)}
                    for k, items in self.examples
                ],
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> IntervalDelta:
        try:
            wire = _Wire.model_validate_json(data)
        except ValidationError as exc:
            _check_version(_version_of(data))  # a newer shape: say so, not which field
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "<root>"
            raise DeltaDecodeError(first["msg"], field=field) from exc
        _check_version(wire.v)
        if wire.v == 1 and wire.examples:
            raise DeltaDecodeError("a version 1 delta carries no examples", field="examples")
        return cls(
            source=wire.source,
            interval=wire.interval,
            histograms=tuple(
                HistogramDelta(MetricKey(h.name, _sorted(h.labels)), h.blob, h.count)
                for h in wire.histograms
            ),
            counters=tuple(
                (MetricKey(c.name, labels_of(c.labels)), c.value) for c in wire.counters
            ),
            gauges=tuple(
                GaugeDelta(MetricKey(g.name, labels_of(g.labels)), g.last, g.max)
                for g in wire.gauges
            ),
            examples=tuple(
                (MetricKey(e.name, labels_of(e.labels)), tuple(e.items)) for e in wire.examples
            ),
        )


def _version_of(data: bytes) -> object:
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return raw.get("v") if isinstance(raw, dict) else None


def _check_version(v: object) -> None:
    if isinstance(v, int) and not isinstance(v, bool) and v not in _READABLE_VERSIONS:
        raise DeltaDecodeError(
            f"version {v} is not {_WIRE_VERSION}: run the same testbots version on "
            "coordinator and workers",
            field="v",
        )


def _sorted(labels: dict[str, str]) -> Labels:
    """`labels_of` for labels the strict wire model has checked are strings already."""
    return tuple(sorted(labels.items())) if labels else ()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _WireHistogram(_Strict):
    name: str
    labels: dict[str, str]
    blob: str
    count: int


class _WireCounter(_Strict):
    name: str
    labels: dict[str, str]
    value: int


class _WireGauge(_Strict):
    name: str
    labels: dict[str, str]
    last: float
    max: float


class _WireExamples(_Strict):
    name: str
    labels: dict[str, str]
    items: Annotated[
        list[Annotated[str, StringConstraints(max_length=_MAX_EXAMPLE_CHARS)]],
        Field(max_length=MAX_EXAMPLES),
    ]


class _Wire(_Strict):
    v: int
    source: str
    interval: int
    histograms: list[_WireHistogram]
    counters: list[_WireCounter]
    gauges: list[_WireGauge]
    examples: list[_WireExamples] = Field(default_factory=list)
