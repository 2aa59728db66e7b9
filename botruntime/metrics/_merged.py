"""A run's metrics merged per interval, at a cost that does not grow with the deltas.

The coordinator's store (DESIGN §5-§6). Each worker's delta (a `PackedDelta`, or an
`IntervalDelta`, packed here) is checked whole as it arrives and merged into its interval, so
an interval costs one histogram per series however many workers sent it, and a watcher asks
only for the intervals changed since the version it has.

    ingest_packed(delta) ─> open interval ─(the newest interval moved on)─> SealedIntervals
                            a SpanCounts per series                      a record per interval
                                     └── merged_bytes(i): one IntervalDelta ──┘
                                         (source "merged", one blob per series)

Exactly once: each source's intervals are kept as ranges (one range while a pump sends
0, 1, 2, ...; one more per gap), so a delta seen twice is refused with memory per source,
not per delta. Versions: a merged delta bumps `version` and stamps its interval;
`changed_since(v)` lists the intervals stamped after v in time proportional to what changed.
A merged interval's gauges carry their `worker` label (the source), as `RunMetrics` labels
them, so `RunMetrics.put_interval` takes a merged interval as it is; its counters' examples
are the first `MAX_EXAMPLES` any source sent for each series.

Whole-run figures (what `Run.counters()` and a Prometheus scrape read) are kept as deltas
arrive: totals per counter, values per histogram series, the sealed intervals' histograms
folded per series (the open ones are added when a whole-run histogram is asked for), and each
gauge's latest value. A late delta for a sealed interval re-opens it from its record and
merges as usual: exact, only slower. A store made with `keep_intervals=False` (a worker's own
/metrics page, which shows whole-run figures only) folds each delta's histograms straight
into the whole run's and keeps no interval: nothing is encoded, nothing written out.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from hdrh.histogram import HdrHistogram
from numpy.typing import NDArray

from botruntime.metrics._delta import MAX_EXAMPLES, GaugeDelta, HistogramDelta, IntervalDelta
from botruntime.metrics._errors import MetricKindError
from botruntime.metrics._hdr_add import BlobAdder
from botruntime.metrics._keys import Kind, Labels, MetricKey, check_name, kind_of, labels_of
from botruntime.metrics._packed import DeltaPacker, PackedDelta
from botruntime.metrics._run import LabelFilter
from botruntime.metrics._sealed import SealedIntervals
from botruntime.metrics._span import Counts, Index, SpanCounts

__all__ = ["MERGED_SOURCE", "MergedIntervals"]

MERGED_SOURCE: Final = "merged"
# pending counters an open interval holds at most (~12 MB as sent: a u16 index and a u32
# count each): a thousand workers' second of 40 histograms is about 2M
_FOLD_PAIRS: Final = 1 << 21
# a fold sorts its counters when it has fewer than 1/_SORT_BELOW of its series' whole rows:
# about where sorting n counters costs what counting _SORT_BELOW * n row counters does
# (measured with 4 and 40 series: even at 40 to 64, 1.6-1.9x faster at 150 and more)
_SORT_BELOW: Final = 48


class _Series:
    """One histogram series of an open interval."""

    __slots__ = ("span", "unfolded")

    def __init__(self, reopened: bool) -> None:
        self.span = SpanCounts()  # the merge so far
        # the part not folded into the whole-run histogram yet; None: all of `span` (a
        # re-opened interval's sealed part was folded when it was sealed)
        self.unfolded = SpanCounts() if reopened else None

    def spans(self) -> tuple[SpanCounts, ...]:
        return (self.span,) if self.unfolded is None else (self.span, self.unfolded)


@dataclass(slots=True)
class _Open:
    """An interval that still takes deltas. A delta's histograms wait in `pending` (checked,
    so adding them cannot fail) and are added into the series' spans together, by `fold`,
    when the interval is read, sealed or holds `_FOLD_PAIRS` counters: one vectorised
    addition per fold instead of one per histogram per delta."""

    reopened: bool = False  # sealed once, then a late delta came
    # the store's whole-run spans, when it keeps no intervals (keep_intervals=False): a fold
    # adds into them straight away, and the interval holds no histograms of its own
    whole: dict[MetricKey, SpanCounts] | None = None
    histograms: dict[MetricKey, _Series] = field(default_factory=dict)
    pending: list[PackedDelta] = field(default_factory=list)
    pending_pairs: int = 0
    counters: dict[MetricKey, int] = field(default_factory=dict)
    gauges: dict[MetricKey, GaugeDelta] = field(default_factory=dict)
    # the first MAX_EXAMPLES examples any source gave a counter series in this interval
    examples: dict[MetricKey, list[str]] = field(default_factory=dict)
    record: bytes | None = None  # the merged form, until the next change

    def add_examples(self, examples: Iterable[tuple[MetricKey, tuple[str, ...]]]) -> None:
        for key, items in examples:
            kept = self.examples.setdefault(key, [])
            kept += [x for x in items if x not in kept][: MAX_EXAMPLES - len(kept)]

    def fold(self, limit: int) -> None:
        """Add every pending delta's counters into its series' spans (`limit`: counters per
        histogram): counters are numbered series * limit + index and summed per number, by one
        `np.bincount` over every series' whole row when the counters are many (a coordinator's
        interval), or by sorting them when they are few next to the rows (a worker's own
        /metrics: one delta an interval); each series is added over its non-zero span."""
        if not self.pending:
            return
        order: dict[MetricKey, int] = {}
        slots_of: dict[int, Index] = {}  # per key tuple (a decoder shares one per shape)
        slots: list[Index] = []
        indexes: list[NDArray[np.integer[Any]]] = []
        counts: list[NDArray[np.unsignedinteger[Any]]] = []
        for delta in self.pending:  # each holds its key tuple: ids stay unique meanwhile
            if not delta.keys:
                continue
            found = slots_of.get(id(delta.keys))
            if found is None:
                numbers = [order.setdefault(key, len(order)) for key in delta.keys]
                found = slots_of[id(delta.keys)] = np.array(numbers, dtype=np.intp)
            bounds: Index = np.array(delta.bounds, dtype=np.intp)
            slots.append(np.repeat(found, bounds[1:] - bounds[:-1]))
            indexes.append(delta.index)
            counts.append(delta.counts)
        self.pending, self.pending_pairs = [], 0
        if not order:
            return
        at = np.concatenate(slots) * limit + np.concatenate(indexes).astype(np.intp)
        values = np.concatenate(counts)
        if len(at) * _SORT_BELOW < len(order) * limit:
            self._fold_sorted(order, at, values, limit)
        else:
            self._fold_rows(order, at, values, limit)

    def _fold_rows(
        self,
        order: dict[MetricKey, int],
        at: Index,
        values: NDArray[np.unsignedinteger[Any]],
        limit: int,
    ) -> None:
        weights = values.astype(np.float64)  # exact below 2**53 per counter
        rows = np.bincount(at, weights=weights, minlength=len(order) * limit)
        rows = rows.reshape(len(order), limit)
        touched = rows > 0
        firsts = touched.argmax(axis=1).tolist()
        lasts = (limit - 1 - touched[:, ::-1].argmax(axis=1)).tolist()
        totals = rows.sum(axis=1).tolist()
        for key, slot in order.items():
            total = int(totals[slot])
            if not total:
                continue
            first, last = firsts[slot], lasts[slot]
            self._add(
                key, rows[slot, first : last + 1].astype(np.uint64), first, last, total, limit
            )

    def _fold_sorted(
        self,
        order: dict[MetricKey, int],
        at: Index,
        values: NDArray[np.unsignedinteger[Any]],
        limit: int,
    ) -> None:
        if not len(at):
            return
        by_number = np.argsort(at, kind="stable")
        at, values = at[by_number], values[by_number].astype(np.uint64)
        starts = np.flatnonzero(np.concatenate(([True], at[1:] != at[:-1])))
        sums: Counts = np.add.reduceat(values, starts)  # a repeated counter adds up
        at = at[starts]
        nonzero = sums != 0
        at, sums = at[nonzero], sums[nonzero]
        bounds = np.searchsorted(at // limit, np.arange(len(order) + 1)).tolist()
        for key, slot in order.items():
            a, b = bounds[slot], bounds[slot + 1]
            if a == b:
                continue
            index = at[a:b] - slot * limit
            first, last = int(index[0]), int(index[-1])
            window: Counts = np.zeros(last - first + 1, dtype=np.uint64)
            window[index - first] = sums[a:b]
            self._add(key, window, first, last, int(sums[a:b].sum()), limit)

    def _add(
        self, key: MetricKey, window: Counts, first: int, last: int, total: int, limit: int
    ) -> None:
        """Add counters [first, last] (`window`) into the series' spans."""
        if self.whole is not None:
            span = self.whole.get(key)
            if span is None:
                span = self.whole[key] = SpanCounts()
            span.add_counts(window, first, first, last, total, limit=limit)
            return
        series = self.histograms.get(key)
        if series is None:
            series = self.histograms[key] = _Series(self.reopened)
        for span in series.spans():
            span.add_counts(window, first, first, last, total, limit=limit)


class _Seen:
    """The intervals one source has delivered, as sorted disjoint [start, stop) ranges."""

    __slots__ = ("starts", "stops")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.stops: list[int] = []

    def __contains__(self, interval: int) -> bool:
        k = bisect.bisect_right(self.starts, interval) - 1
        return k >= 0 and interval < self.stops[k]

    def add(self, interval: int) -> None:
        starts, stops = self.starts, self.stops
        k = bisect.bisect_right(starts, interval) - 1  # the range starting at or before it
        joins_left = k >= 0 and stops[k] == interval
        joins_right = k + 1 < len(starts) and starts[k + 1] == interval + 1
        if joins_left and joins_right:
            stops[k] = stops.pop(k + 1)
            del starts[k + 1]
        elif joins_left:
            stops[k] = interval + 1
        elif joins_right:
            starts[k + 1] = interval
        else:
            starts.insert(k + 1, interval)
            stops.insert(k + 1, interval + 1)


class MergedIntervals:
    """Use it from one thread (the coordinator's event loop); `close()` drops the spill file."""

    def __init__(
        self,
        interval_s: float = 1.0,
        *,
        open_intervals: int = 4,
        spill_dir: str | None = None,
        keep_intervals: bool = True,
    ) -> None:
        """`keep_intervals=False`: whole-run figures only (a worker's own /metrics page): a
        delta's histograms are folded straight into them, and no interval is encoded or
        written out (`merged` and `merged_bytes` refuse)."""
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        if open_intervals < 1:
            raise ValueError(f"open_intervals must be >= 1, got {open_intervals}")
        self.interval_s = interval_s
        self.open_intervals = open_intervals  # the newest this many intervals stay open
        self.version = 0
        self._adder = BlobAdder()
        self._packer = DeltaPacker()
        self._open: dict[int, _Open] = {}
        self._sealed = SealedIntervals(spill_dir)
        self._keep = keep_intervals
        self._stamps: dict[int, int] = {}  # interval -> version of its last change, in order
        self._seen: dict[str, _Seen] = {}
        self._newest = -1
        self._oldest = -1
        self._kinds: dict[str, Kind] = {}
        self._values: dict[MetricKey, int] = {}  # histogram series -> values it holds
        self._totals: dict[MetricKey, int] = {}  # counter series -> total
        self._gauge_last: dict[MetricKey, tuple[int, float]] = {}  # -> (interval, last)
        self._folded: dict[MetricKey, SpanCounts] = {}  # sealed intervals, per series

    # -- merging -------------------------------------------------------------------------

    def ingest(self, delta: IntervalDelta) -> bool:
        """Merge one delta; False (and no change) if this source sent this interval before.
        Every blob is decoded before anything merges: a bad delta changes nothing."""
        seen = self._seen.get(delta.source)
        if seen is not None and delta.interval in seen:
            return False
        return self.ingest_packed(self._packer.packed(delta))

    def ingest_packed(self, delta: PackedDelta) -> bool:
        """`ingest` of a delta as a worker sends it (checked whole by `DeltaUnpacker`)."""
        seen = self._seen.get(delta.source)
        if seen is not None and delta.interval in seen:
            return False
        kinds = self._kinds
        for name, kind in _packed_kinds(delta):
            known = kinds.get(name)
            if known is not None and known != kind:
                raise MetricKindError(name, kind=known, expected=kind)
        target = self._opened(delta.interval)
        if delta.keys:
            target.pending.append(delta)
            target.pending_pairs += len(delta.index)
            if target.pending_pairs > _FOLD_PAIRS:
                target.fold(self._adder.counts_len)
        if seen is None:
            seen = self._seen[delta.source] = _Seen()
        seen.add(delta.interval)
        values = self._values
        for key, total in zip(delta.keys, delta.totals, strict=True):
            kinds.setdefault(key.name, "histogram")
            values[key] = values.get(key, 0) + total
        counters = target.counters
        for key, value in delta.counters:
            self._kinds.setdefault(key.name, "counter")
            self._totals[key] = self._totals.get(key, 0) + value
            counters[key] = counters.get(key, 0) + value
        for g in delta.gauges:
            self._kinds.setdefault(g.key.name, "gauge")
            worker = MetricKey(
                g.key.name, labels_of({**dict(g.key.labels), "worker": delta.source})
            )
            self._put_gauge(target, delta.interval, GaugeDelta(worker, g.last, g.max))
        target.add_examples(delta.examples)
        self._changed(delta.interval, target)
        return True

    def ingest_all(self, deltas: Iterable[IntervalDelta]) -> None:
        for delta in deltas:
            self.ingest(delta)

    def seal_all(self) -> None:
        """Seal every open interval (the run ended): a late delta still re-opens one."""
        for interval in sorted(self._open):
            self._seal(interval)

    def close(self) -> None:
        self._sealed.close()

    # -- what changed ----------------------------------------------------------------------

    def changed_since(self, version: int) -> list[int]:
        """The intervals changed after `version`, in order (every one for 0, or for a version
        this store never gave: the caller starts over)."""
        if version <= 0 or version > self.version:
            return sorted(self._stamps)
        out = []
        for interval, stamp in reversed(self._stamps.items()):
            if stamp <= version:
                break
            out.append(interval)
        return sorted(out)

    def merged_bytes(self, interval: int) -> bytes:
        """`merged(interval).to_bytes()`: read back if sealed, encoded once if open."""
        self._check_kept()
        found = self._open.get(interval)
        if found is None:
            return self._sealed.get(interval)
        if found.record is None:
            found.record = self._encode(interval, found).to_bytes()
        return found.record

    def merged(self, interval: int) -> IntervalDelta:
        """Everything every source sent for the interval, as one delta (KeyError if none)."""
        self._check_kept()
        found = self._open.get(interval)
        if found is None:
            return IntervalDelta.from_bytes(self._sealed.get(interval))
        return self._encode(interval, found)

    @property
    def intervals(self) -> range:
        """First to last interval any delta covered (empty before the first delta)."""
        return range(self._oldest, self._newest + 1) if self._stamps else range(0)

    @property
    def open_count(self) -> int:
        return len(self._open)

    @property
    def sealed_count(self) -> int:
        return len(self._sealed)

    # -- whole-run figures (as RunMetrics answers them, without windows) -------------------

    def keys(self, metric: str | None = None) -> list[MetricKey]:
        everything = {*self._values, *self._totals, *self._gauge_last}
        return sorted(k for k in everything if metric is None or k.name == metric)

    def kind(self, metric: str) -> Kind:
        """histogram, counter or gauge; UnknownMetric for a name outside the vocabulary."""
        kind = self._kinds.get(metric) or kind_of(metric)
        if kind is None:
            check_name(metric, "counter")  # raises for a name outside the vocabulary
            return "counter"  # an open-prefix name never recorded: reads as zero
        return kind

    def count(self, metric: str, labels: LabelFilter = None) -> int:
        """A counter's total, or how many values a histogram holds."""
        if self.kind(metric) == "histogram":
            want = self._want(metric, "histogram", labels)
            return sum(n for k, n in self._values.items() if k.matches(metric, want))
        want = self._want(metric, "counter", labels)
        return sum(v for k, v in self._totals.items() if k.matches(metric, want))

    def histogram(self, metric: str, labels: LabelFilter = None) -> HdrHistogram:
        """A merged copy of every matching series over the whole run."""
        want = self._want(metric, "histogram", labels)
        limit = self._adder.counts_len
        merged = SpanCounts()
        for interval in self._open.values():
            interval.fold(limit)  # first: without kept intervals, it adds to the whole run's
        for key, span in self._folded.items():
            if key.matches(metric, want):
                merged.add_span(span, limit=limit)
        for interval in self._open.values():
            for key, series in interval.histograms.items():
                if key.matches(metric, want):
                    unfolded = series.span if series.unfolded is None else series.unfolded
                    merged.add_span(unfolded, limit=limit)
        return self._adder.histogram(merged)

    def gauge_last(self, metric: str, labels: LabelFilter = None) -> float | None:
        """The value set last, in the latest interval that has one (the largest if several
        workers match)."""
        want = self._want(metric, "gauge", labels)
        found = [v for k, v in self._gauge_last.items() if k.matches(metric, want)]
        if not found:
            return None
        latest = max(interval for interval, _ in found)
        return max(last for interval, last in found if interval == latest)

    # -- internals -------------------------------------------------------------------------

    def _check_kept(self) -> None:
        if not self._keep:
            raise ValueError("this store keeps whole-run figures only (keep_intervals=False)")

    def _opened(self, interval: int) -> _Open:
        found = self._open.get(interval)
        if found is not None:
            return found
        if not self._keep:  # whole-run figures only: a late delta adds to them as any other
            found = self._open[interval] = _Open(whole=self._folded)
            return found
        if interval not in self._sealed:
            found = self._open[interval] = _Open()
            return found
        # a late delta: take the merge back from its record (its whole-run figures were
        # counted when its deltas came, and its histograms folded when it was sealed)
        record = IntervalDelta.from_bytes(self._sealed.pop(interval))
        found = self._open[interval] = _Open()
        found.pending.append(self._packer.packed(record))
        found.fold(self._adder.counts_len)
        found.reopened = True  # from here on, what is added is kept apart to be folded
        for series in found.histograms.values():
            series.unfolded = SpanCounts()
        found.counters.update(record.counters)
        found.gauges.update((g.key, g) for g in record.gauges)
        found.add_examples(record.examples)
        return found

    def _put_gauge(self, target: _Open, interval: int, g: GaugeDelta) -> None:
        had = target.gauges.get(g.key)
        if had is not None:  # two values of one gauge in one delta: keep what queries see
            g = GaugeDelta(g.key, max(had.last, g.last), max(had.max, g.max))
        target.gauges[g.key] = g
        latest = self._gauge_last.get(g.key)
        if latest is None or interval > latest[0]:
            self._gauge_last[g.key] = (interval, g.last)
        elif interval == latest[0]:
            self._gauge_last[g.key] = (interval, max(latest[1], g.last))

    def _changed(self, interval: int, target: _Open) -> None:
        self.version += 1
        target.record = None
        self._stamps.pop(interval, None)
        self._stamps[interval] = self.version
        self._oldest = interval if self._oldest < 0 else min(self._oldest, interval)
        self._newest = max(self._newest, interval)
        for old in [i for i in self._open if i <= self._newest - self.open_intervals]:
            self._seal(old)

    def _seal(self, interval: int) -> None:
        found = self._open.pop(interval)
        found.fold(self._adder.counts_len)
        limit = self._adder.counts_len
        for key, series in found.histograms.items():
            folded = self._folded.get(key)
            if folded is None:
                folded = self._folded[key] = SpanCounts()
            unfolded = series.span if series.unfolded is None else series.unfolded
            folded.add_span(unfolded, limit=limit)
        if self._keep:
            self._sealed.put(interval, found.record or self._encode(interval, found).to_bytes())

    def _encode(self, interval: int, found: _Open) -> IntervalDelta:
        found.fold(self._adder.counts_len)
        encode = self._adder.encode
        return IntervalDelta(
            MERGED_SOURCE,
            interval,
            histograms=tuple(
                HistogramDelta(key, encode(series.span), series.span.total)
                for key, series in sorted(found.histograms.items())
            ),
            counters=tuple(sorted(found.counters.items())),
            gauges=tuple(g for _, g in sorted(found.gauges.items())),
            examples=tuple((key, tuple(items)) for key, items in sorted(found.examples.items())),
        )

    def _want(self, metric: str, kind: Kind, labels: LabelFilter) -> Labels:
        actual = self.kind(metric)
        if actual != kind and (metric in self._kinds or kind_of(metric) is not None):
            raise MetricKindError(metric, kind=actual, expected=kind)
        return labels_of(labels)


def _packed_kinds(delta: PackedDelta) -> Iterator[tuple[str, Kind]]:
    for key in delta.keys:
        yield key.name, "histogram"
    for key, _ in delta.counters:
        yield key.name, "counter"
    for g in delta.gauges:
        yield g.key.name, "gauge"
