"""The merged metrics of a run, and the queries a verdict asks of them.

`RunMetrics.ingest` adds interval deltas from any number of workers exactly (HDR counts are
added, never re-sampled) and refuses a (source, interval) seen before, so a delta re-sent after
a reconnect is not counted twice. `put_interval` takes an interval merged elsewhere (a
coordinator's `MergedIntervals`) and replaces it when its newer merge comes. Every blob is
decoded and checked on arrival (so a bad delta is refused whole, and each series' count is
known exactly; a histogram recorded in this process comes as counters and needs no check),
but added into its whole-run histogram only when a query needs it: a client following a live
run through windows never pays the additions, and a report pays them once.
Per-interval blobs stay encoded (a few hundred bytes each) and are decoded when a window is
asked for. `BlobAdder` adds a blob's non-zero span without building a histogram per blob
(bench/coordinator.py has the figures).

Labels in a query are a filter: a series matches when it carries every label asked for, and all
matching series are merged (`lat.submit{action=send_ax}` merges every chain and outcome).
Windows are `range`s of interval indexes: `range(10, 20)` is seconds 10..19 of a 1 s run.
A counter's examples (tx hashes) are kept as each (source, interval) gave them, so a put that
replaces an interval replaces its examples too; `examples()` returns the first few per series.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from hdrh.histogram import HdrHistogram

from botruntime.metrics._delta import MAX_EXAMPLES, GaugeDelta, HistogramDelta, IntervalDelta
from botruntime.metrics._errors import MetricKindError
from botruntime.metrics._hdr import new_histogram
from botruntime.metrics._hdr_add import BlobAdder
from botruntime.metrics._keys import Kind, Labels, MetricKey, check_name, kind_of, labels_of
from botruntime.metrics._summary import Summary, quantiles_us, summarize

__all__ = ["RunMetrics"]

LabelFilter = Mapping[str, str] | None


class RunMetrics:
    def __init__(self, interval_s: float = 1.0) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self.interval_s = interval_s
        self._whole: dict[MetricKey, HdrHistogram] = {}  # folded: call _fold() before reading
        self._pending: defaultdict[MetricKey, list[str]] = defaultdict(list)  # checked blobs
        self._hist_counts: defaultdict[MetricKey, int] = defaultdict(int)  # values per series
        # interval -> series -> its blobs: plain strings under one shared key per series, so a
        # long run's retained blobs cost the garbage collector next to nothing
        self._blobs: defaultdict[int, dict[MetricKey, list[str]]] = defaultdict(dict)
        self._series: dict[MetricKey, MetricKey] = {}  # one key object per series
        self._totals: defaultdict[MetricKey, int] = defaultdict(int)
        self._counts: defaultdict[int, dict[MetricKey, int]] = defaultdict(dict)
        self._gauges: defaultdict[int, list[GaugeDelta]] = defaultdict(list)
        # (source, interval) -> series -> the examples it gave (at most MAX_EXAMPLES each)
        self._examples: dict[tuple[str, int], dict[MetricKey, tuple[str, ...]]] = {}
        self._kinds: dict[str, Kind] = {}
        self._seen: set[tuple[str, int]] = set()
        # (source, interval) -> what put_interval put there, and its blobs' totals
        self._put: dict[tuple[str, int], tuple[IntervalDelta, tuple[int, ...]]] = {}
        self._stale: set[MetricKey] = set()  # whole-run histograms to rebuild from _blobs
        self._adder = BlobAdder()
        self.version = 0  # bumps on every merge: lets exporters cache between scrapes

    # -- merging -------------------------------------------------------------------------

    def ingest(self, delta: IntervalDelta) -> bool:
        """Merge one delta; False (and no change) if this source sent this interval before."""
        if (delta.source, delta.interval) in self._seen:
            return False
        checked = self._checked(delta)  # all checked before anything merges
        self._seen.add((delta.source, delta.interval))
        self._add(delta, checked, worker=delta.source)
        self.version += 1
        return True

    def put_interval(self, merged: IntervalDelta) -> None:
        """Make `merged` all that its source gave its interval, replacing what an earlier put
        of that (source, interval) gave: a coordinator sends an interval's merge again as more
        deltas reach it (`MergedIntervals`). Its gauges carry their `worker` label already.
        A (source, interval) that came through `ingest` cannot be replaced: ValueError."""
        slot = (merged.source, merged.interval)
        old = self._put.get(slot)
        if old is None and slot in self._seen:
            raise ValueError(
                f"interval {merged.interval} of {merged.source!r} was ingested as a delta: "
                "put_interval replaces only what put_interval put"
            )
        checked = self._checked(merged)  # a bad merge changes nothing, not even the old one
        if old is not None:
            self._retract(merged.interval, *old)
        self._seen.add(slot)
        self._add(merged, checked, worker=None)
        self._put[slot] = (merged, tuple(total for _, total in checked))
        self.version += 1

    def put_intervals(self) -> list[IntervalDelta]:
        """Every merged interval `put_interval` holds now, as it put them: what a follower
        had of a run when its source went away."""
        return [merged for merged, _ in self._put.values()]

    def _checked(self, delta: IntervalDelta) -> list[tuple[HistogramDelta, int]]:
        """Each histogram with the values it holds; a blob is decoded to check it, counters a
        recorder took (`HistogramDelta.sparse`) are its own and are not."""
        for name, kind in _kinds_in(delta):
            known = self._kinds.get(name)
            if known is not None and known != kind:
                raise MetricKindError(name, kind=known, expected=kind)
        checked = []
        for i, h in enumerate(delta.histograms):
            if h.sparse is None:
                checked.append((h, self._adder.check(h.blob, field=f"histograms[{i}].blob").total))
            else:
                checked.append((h, h.count))
        return checked

    def _add(
        self,
        delta: IntervalDelta,
        checked: list[tuple[HistogramDelta, int]],
        *,
        worker: str | None,  # the label a gauge gets; None: it has its worker label already
    ) -> None:
        in_interval = self._blobs[delta.interval]
        for h, total in checked:
            key = self._series.setdefault(h.key, h.key)
            self._note(key.name, "histogram")
            self._hist_counts[key] += total
            self._pending[key].append(h.blob)
            in_interval.setdefault(key, []).append(h.blob)
        per_interval = self._counts[delta.interval]
        for key, value in delta.counters:
            self._note(key.name, "counter")
            self._totals[key] += value
            per_interval[key] = per_interval.get(key, 0) + value
        for g in delta.gauges:
            self._note(g.key.name, "gauge")
            if worker is not None:
                labelled = MetricKey(
                    g.key.name, labels_of({**dict(g.key.labels), "worker": worker})
                )
                g = GaugeDelta(labelled, g.last, g.max)
            self._gauges[delta.interval].append(g)
        slot = (delta.source, delta.interval)
        if delta.examples:
            self._examples[slot] = {key: items[:MAX_EXAMPLES] for key, items in delta.examples}
        else:
            self._examples.pop(slot, None)

    def _retract(self, interval: int, old: IntervalDelta, totals: tuple[int, ...]) -> None:
        """Take back what a put gave; whole-run histograms it touched are rebuilt on demand."""
        in_interval = self._blobs[interval]
        for h, total in zip(old.histograms, totals, strict=True):
            key = self._series[h.key]
            blobs = in_interval[key]
            blobs.remove(h.blob)
            if not blobs:
                del in_interval[key]
            self._hist_counts[key] -= total
            self._stale.add(key)
            self._pending.pop(key, None)
        per_interval = self._counts[interval]
        for key, value in old.counters:
            self._totals[key] -= value
            per_interval[key] -= value
            if not per_interval[key]:
                del per_interval[key]
        for g in old.gauges:
            self._gauges[interval].remove(g)

    def ingest_all(self, deltas: Iterable[IntervalDelta]) -> None:
        for delta in deltas:
            self.ingest(delta)

    # -- what was recorded -----------------------------------------------------------------

    @property
    def intervals(self) -> range:
        """First to last interval any delta covered (empty before the first delta)."""
        seen = [i for _, i in self._seen]
        return range(min(seen), max(seen) + 1) if seen else range(0)

    def keys(self, metric: str | None = None) -> list[MetricKey]:
        everything = [*self._hist_counts, *self._totals]
        everything += {g.key for gs in self._gauges.values() for g in gs}
        return sorted(k for k in everything if metric is None or k.name == metric)

    # -- queries -------------------------------------------------------------------------

    def histogram(
        self, metric: str, labels: LabelFilter = None, window: range | None = None
    ) -> HdrHistogram:
        """A merged copy of every matching series (over the window, or the whole run)."""
        want = self._want(metric, "histogram", labels)
        merged = new_histogram()
        if window is None:
            self._fold()
            for key, hist in self._whole.items():
                if key.matches(metric, want):
                    merged.add(hist)
            return merged
        for interval in window:
            for key, blobs in self._blobs.get(interval, {}).items():
                if key.matches(metric, want):
                    for i, blob in enumerate(blobs):
                        self._adder.add_blob(blob, merged, field=f"interval {interval} blob {i}")
        return merged

    def quantile_s(
        self, metric: str, labels: LabelFilter = None, q: float = 0.99, window: range | None = None
    ) -> float | None:
        """The q-quantile in seconds (q=0.99 for p99); None when nothing was recorded."""
        return self.quantiles_s(metric, labels, (q,), window).get(q)

    def quantiles_s(
        self,
        metric: str,
        labels: LabelFilter = None,
        qs: tuple[float, ...] = (0.5, 0.99),
        window: range | None = None,
    ) -> dict[float, float]:
        hist = self.histogram(metric, labels, window)
        if not hist.get_total_count():
            return {}
        return {q: us / 1e6 for q, us in quantiles_us(hist, qs).items()}

    def count(self, metric: str, labels: LabelFilter = None, window: range | None = None) -> int:
        """A counter's total, or how many values a histogram holds."""
        kind = self.kind(metric)
        if kind == "histogram" and window is None:
            want = self._want(metric, "histogram", labels)
            return sum(n for k, n in self._hist_counts.items() if k.matches(metric, want))
        if kind == "histogram":
            return int(self.histogram(metric, labels, window).get_total_count())
        want = self._want(metric, "counter", labels)
        if window is None:
            return sum(v for k, v in self._totals.items() if k.matches(metric, want))
        return sum(
            v
            for interval in window
            for k, v in self._counts.get(interval, {}).items()
            if k.matches(metric, want)
        )

    def rate_per_s(
        self, metric: str, labels: LabelFilter = None, window: range | None = None
    ) -> float:
        span = window if window is not None else self.intervals
        seconds = len(span) * self.interval_s
        return self.count(metric, labels, window) / seconds if seconds else 0.0

    def series(self, metric: str, labels: LabelFilter = None) -> list[tuple[int, float]]:
        """Per interval: a counter's increase, a histogram's count, a gauge's largest value."""
        kind = self.kind(metric)
        out: list[tuple[int, float]] = []
        for interval in self.intervals:
            if kind == "gauge":
                value = self.gauge_max(metric, labels, range(interval, interval + 1))
                if value is not None:
                    out.append((interval, value))
            else:
                out.append(
                    (interval, float(self.count(metric, labels, range(interval, interval + 1))))
                )
        return out

    def examples(
        self, metric: str, labels: LabelFilter = None, limit: int = MAX_EXAMPLES
    ) -> dict[MetricKey, tuple[str, ...]]:
        """The first `limit` distinct examples of every matching counter series, by series."""
        want = labels_of(labels)
        out: dict[MetricKey, list[str]] = {}
        for slot in sorted(self._examples, key=lambda s: (s[1], s[0])):  # by interval
            for key, items in self._examples[slot].items():
                if key.matches(metric, want):
                    found = out.setdefault(key, [])
                    found += [x for x in items if x not in found][: limit - len(found)]
        return {key: tuple(items) for key, items in sorted(out.items())}

    def gauge_max(
        self, metric: str, labels: LabelFilter = None, window: range | None = None
    ) -> float | None:
        """The largest value any worker reported for the gauge; None if none did."""
        want = self._want(metric, "gauge", labels)
        span = window if window is not None else self.intervals
        values = [
            g.max
            for interval in span
            for g in self._gauges.get(interval, ())
            if g.key.matches(metric, want)
        ]
        return max(values) if values else None

    def gauge_last(self, metric: str, labels: LabelFilter = None) -> float | None:
        """The value set last, in the latest interval that has one (the largest if several
        workers match)."""
        want = self._want(metric, "gauge", labels)
        for interval in reversed(self.intervals):
            values = [g.last for g in self._gauges.get(interval, ()) if g.key.matches(metric, want)]
            if values:
                return max(values)
        return None

    def sliding_quantile_s(
        self, metric: str, labels: LabelFilter, q: float, width: int
    ) -> list[tuple[int, float]]:
        """(first interval, q-quantile) of every full window of `width` intervals."""
        if width < 1:
            raise ValueError(f"a window is at least 1 interval wide, got width={width}")
        span = self.intervals
        out = []
        for first in range(span.start, span.stop - width + 1):
            value = self.quantile_s(metric, labels, q, range(first, first + width))
            if value is not None:
                out.append((first, value))
        return out

    def outcomes(
        self, metric: str, labels: LabelFilter = None, window: range | None = None
    ) -> dict[str, int]:
        """Sample counts of a latency metric by its `outcome` label ("ok" or a code)."""
        want = self._want(metric, "histogram", labels)
        out: dict[str, int] = defaultdict(int)
        keys = {k for k in self._hist_counts if k.matches(metric, want)}
        for key in keys:
            outcome = key.label_dict().get("outcome")
            if outcome is not None:
                out[outcome] += self.count(metric, dict(key.labels), window)
        return dict(out)

    def summary(
        self, metric: str, labels: LabelFilter = None, window: range | None = None
    ) -> Summary:
        span = window if window is not None else self.intervals
        return summarize(
            metric,
            dict(labels or {}),
            self.histogram(metric, labels, window),
            seconds=len(span) * self.interval_s,
            outcomes=self.outcomes(metric, labels, window),
        )

    def to_json(self) -> dict[str, object]:
        """Summaries per series, counters with their per-interval series, gauges' peaks, and
        each whole-run histogram encoded, so a report can be re-merged exactly later."""
        self._fold()
        return {
            "interval_s": self.interval_s,
            "intervals": [self.intervals.start, self.intervals.stop],
            "histograms": [
                {
                    **self.summary(k.name, dict(k.labels)).to_json(),
                    "hdr": self._whole[k].encode().decode("ascii"),
                }
                for k in sorted(self._whole)
            ],
            "counters": [
                {
                    "metric": k.name,
                    "labels": dict(k.labels),
                    "total": total,
                    "series": [[i, c[k]] for i, c in sorted(self._counts.items()) if k in c],
                }
                for k, total in sorted(self._totals.items())
            ],
            "gauges": [
                {
                    "metric": k.name,
                    "labels": dict(k.labels),
                    "series": [
                        [i, g.last, g.max]
                        for i, gs in sorted(self._gauges.items())
                        for g in gs
                        if g.key == k
                    ],
                }
                for k in sorted({g.key for gs in self._gauges.values() for g in gs})
            ],
        }

    def _fold(self) -> None:
        """Add the blobs checked since the last fold into their whole-run histograms."""
        for key in self._stale:  # a put replaced blobs already added: add every blob again
            whole = self._whole[key] = new_histogram()
            self._pending.pop(key, None)
            for interval, series in self._blobs.items():
                for i, blob in enumerate(series.get(key, ())):
                    self._adder.add_blob(blob, whole, field=f"interval {interval} blob {i}")
        self._stale.clear()
        for key, blobs in self._pending.items():
            whole = self._whole.get(key)
            if whole is None:
                whole = self._whole[key] = new_histogram()
            for i, blob in enumerate(blobs):
                self._adder.add_blob(blob, whole, field=f"{key.name} blob {i}")
        self._pending.clear()

    # -- names and kinds -------------------------------------------------------------------

    def _note(self, name: str, kind: Kind) -> None:
        self._kinds.setdefault(name, kind)

    def kind(self, metric: str) -> Kind:
        """histogram, counter or gauge; UnknownMetric for a name outside the vocabulary."""
        kind = self._kinds.get(metric) or kind_of(metric)
        if kind is None:
            check_name(metric, "counter")  # raises for a name outside the vocabulary
            return "counter"  # an open-prefix name never recorded: reads as zero
        return kind

    def _want(self, metric: str, kind: Kind, labels: LabelFilter) -> Labels:
        actual = self.kind(metric)
        if actual != kind and (metric in self._kinds or kind_of(metric) is not None):
            raise MetricKindError(metric, kind=actual, expected=kind)
        return labels_of(labels)


def _kinds_in(delta: IntervalDelta) -> Iterator[tuple[str, Kind]]:
    for h in delta.histograms:
        yield h.key.name, "histogram"
    for key, _ in delta.counters:
        yield key.name, "counter"
    for g in delta.gauges:
        yield g.key.name, "gauge"
