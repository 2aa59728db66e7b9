"""A run's merged metrics as a file: what `execute` leaves and `report` reads.

Each record is one interval: a coordinator's merge of every worker for that interval (put in
place, `RunMetrics.put_interval`) or a delta of one source (`RunMetrics.ingest`). A record is
a kind byte, a 4-byte big-endian length and `IntervalDelta.to_bytes()`. The file is written
whole to a temporary name and renamed, so a crash never leaves half of it.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from pathlib import Path

from botruntime.metrics import IntervalDelta, RunMetrics

__all__ = ["MetricsFileError", "read_metrics", "write_metrics"]

_MERGED, _DELTA = b"m", b"d"
_HEADER = struct.Struct(">cI")


class MetricsFileError(ValueError):
    """The metrics file of a run is missing or damaged."""


def write_metrics(
    path: Path, *, merged: Iterable[IntervalDelta] = (), deltas: Iterable[IntervalDelta] = ()
) -> Path:
    records = [(_MERGED, d.to_bytes()) for d in merged] + [(_DELTA, d.to_bytes()) for d in deltas]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        for kind, data in records:
            out.write(_HEADER.pack(kind, len(data)))
            out.write(data)
    os.replace(tmp, path)
    return path


def read_metrics(path: Path) -> RunMetrics:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MetricsFileError(f"{path}: cannot be read ({exc})") from None
    metrics = RunMetrics()
    at = 0
    while at < len(data):
        if at + _HEADER.size > len(data):
            raise MetricsFileError(f"{path}: a record header is cut off at byte {at}")
        kind, size = _HEADER.unpack_from(data, at)
        at += _HEADER.size
        if at + size > len(data) or kind not in (_MERGED, _DELTA):
            raise MetricsFileError(f"{path}: record at byte {at - _HEADER.size} is damaged")
        delta = IntervalDelta.from_bytes(data[at : at + size])
        at += size
        if kind == _MERGED:
            metrics.put_interval(delta)
        else:
            metrics.ingest(delta)
    return metrics
