"""Replay a recorded timeline: one arrival per row of a CSV or JSONL file, streamed.

A row gives its time as `offset_s` (seconds from the start) or `ts` (any clock in seconds, e.g.
Unix time; the first row becomes offset 0). CSV needs a header naming the column; JSONL has one
object per line. Rows must be in time order. The file is read once when the plan is made (to
check it and learn its length and count) and again on each replay, one row at a time.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path

import orjson

from botruntime.load._errors import TraceError
from botruntime.load._plans import ArrivalPlan
from botruntime.load._profile import Span

__all__ = ["TracePlan", "trace"]

_COLUMNS = ("offset_s", "ts")


class TracePlan(ArrivalPlan):
    """`drain_s` after the last row: time for the last actions to settle (no arrivals)."""

    def __init__(self, path: Path, *, speed: float = 1.0, drain_s: float = 0.0) -> None:
        if not (speed > 0 and math.isfinite(speed)):
            raise TraceError(
                f"speed must be > 0 (2.0 replays twice as fast), got {speed}", path=path, line=0
            )
        self.path = path
        self.speed = speed
        count = 0
        latest = 0.0
        for offset in self.offsets():  # checks every row now, not minutes into a run
            count += 1
            latest = offset
        self._count = count
        self._latest_s = latest
        self._duration_s = latest + drain_s

    @property
    def duration_s(self) -> float:
        return self._duration_s

    def expected_count(self) -> float:
        return float(self._count)

    def hold_windows(self) -> tuple[Span, ...]:
        """A trace has no stages: the generator keeps up with all of it (to its last row)."""
        return ((0.0, math.nextafter(self._latest_s, math.inf)),) if self._count else ()

    def offsets(self) -> Iterator[float]:
        first: float | None = None
        previous = -math.inf
        for line, raw in _rows(self.path):
            if first is None:
                first = raw if _is_absolute(self.path) else 0.0
            offset = (raw - first) / self.speed
            if offset < previous:
                raise TraceError(
                    f"time goes back ({raw} after a later row): sort the file by time",
                    path=self.path,
                    line=line,
                )
            if offset < 0:
                raise TraceError(f"offset_s must be >= 0, got {raw}", path=self.path, line=line)
            previous = offset
            yield offset


def trace(path: str | Path, *, speed: float = 1.0, drain_s: float = 0.0) -> TracePlan:
    return TracePlan(Path(path), speed=speed, drain_s=drain_s)


def _is_absolute(path: Path) -> bool:
    return _column(path) == "ts"


def _column(path: Path) -> str:
    for line, row in _records(path):
        for name in _COLUMNS:
            if name in row:
                return name
        raise TraceError(
            f"a row needs a time column, one of {', '.join(_COLUMNS)}; found {sorted(row)}",
            path=path,
            line=line,
        )
    raise TraceError("the trace has no rows: record at least one arrival", path=path, line=0)


def _rows(path: Path) -> Iterator[tuple[int, float]]:
    column = _column(path)
    for line, row in _records(path):
        value = row.get(column)
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise TraceError(
                f"{column} must be a number of seconds, got {value!r}", path=path, line=line
            ) from None
        if not math.isfinite(number):
            raise TraceError(f"{column} must be finite, got {value!r}", path=path, line=line)
        yield line, number


def _records(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise TraceError(f"cannot open the trace ({exc.strerror})", path=path, line=0) from exc
    with handle:
        if path.suffix == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, dict(row)
        elif path.suffix in (".jsonl", ".ndjson"):
            for line, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    row = orjson.loads(text)
                except orjson.JSONDecodeError as exc:
                    raise TraceError(f"not JSON ({exc})", path=path, line=line) from None
                if not isinstance(row, dict):
                    raise TraceError("each line is a JSON object", path=path, line=line)
                yield line, row
        else:
            raise TraceError(
                f"unknown trace format {path.suffix!r}: name the file .csv or .jsonl",
                path=path,
                line=0,
            )
