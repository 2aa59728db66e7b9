"""One interval of one worker's metrics, as sent to whoever merges them (DESIGN §5).

Histograms travel HDR-encoded (compressed, base64), so a merge is exact: the coordinator adds
the very counts the worker recorded. Decoding checks the wire shape with pydantic at this edge;
a malformed delta raises `DeltaDecodeError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from botruntime.metrics._errors import DeltaDecodeError
from botruntime.metrics._keys import Labels, MetricKey, labels_of

__all__ = ["GaugeDelta", "HistogramDelta", "IntervalDelta"]

_WIRE_VERSION = 1


@dataclass(frozen=True, slots=True)
class HistogramDelta:
    key: MetricKey
    blob: str  # HdrHistogram.encode() of the values recorded in this interval
    count: int


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

    @property
    def empty(self) -> bool:
        return not (self.histograms or self.counters or self.gauges)

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
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> IntervalDelta:
        try:
            wire = _Wire.model_validate_json(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "<root>"
            raise DeltaDecodeError(first["msg"], field=field) from exc
        if wire.v != _WIRE_VERSION:
            raise DeltaDecodeError(
                f"version {wire.v} is not {_WIRE_VERSION}: run the same testbots version on "
                "coordinator and workers",
                field="v",
            )
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


class _Wire(_Strict):
    v: int
    source: str
    interval: int
    histograms: list[_WireHistogram]
    counters: list[_WireCounter]
    gauges: list[_WireGauge]
