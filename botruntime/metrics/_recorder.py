"""The hot-path side of metrics: handles that record into this interval's histograms.

One `Recorder` per process, used only from its event loop, so nothing here locks. Asking for a
handle (`timer`, `counter`, `gauge`, `histogram`) checks the name and finds or makes the series
once; recording through a handle is two `record_into` calls (HdrHistogram's `record_value`
in a few integer operations) and no allocation. `flush` hands the interval's values over as an
`IntervalDelta`: each histogram's non-zero counters, taken out and zeroed in place over the
span its values cover (`take_counts`), never encoded here. No percentile is computed here.
A counter keeps
the first `MAX_EXAMPLES` examples (tx hashes) it is given per interval: evidence, bounded.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

from botruntime.metrics._delta import MAX_EXAMPLES, GaugeDelta, HistogramDelta, IntervalDelta
from botruntime.metrics._hdr import HIGHEST_US, new_histogram, record_into, take_counts
from botruntime.metrics._keys import PHASES, Kind, MetricKey, check_name, labels_of

__all__ = ["Counter", "Gauge", "Histogram", "Recorder", "Timer"]


class Histogram:
    """One HDR series; values in seconds or µs."""

    __slots__ = ("hdr", "key")

    def __init__(self, key: MetricKey) -> None:
        self.key = key
        self.hdr: HdrHistogram = new_histogram()

    def record_s(self, seconds: float) -> None:
        us = int(seconds * 1_000_000)
        record_into(self.hdr, 0 if us < 0 else (HIGHEST_US if us > HIGHEST_US else us))

    def record_us(self, us: int) -> None:
        record_into(self.hdr, 0 if us < 0 else (HIGHEST_US if us > HIGHEST_US else us))


class Timer:
    """Latency from `intended_ts` and service time from the actual send, for one key."""

    __slots__ = ("latency", "service")

    def __init__(self, latency: Histogram, service: Histogram) -> None:
        self.latency = latency
        self.service = service

    def record(self, intended_ts: float, sent_ts: float, done_ts: float) -> None:
        """Times on `time.perf_counter()`; intended <= sent <= done."""
        lat = int((done_ts - intended_ts) * 1_000_000)
        svc = int((done_ts - sent_ts) * 1_000_000)
        record_into(self.latency.hdr, 0 if lat < 0 else (HIGHEST_US if lat > HIGHEST_US else lat))
        record_into(self.service.hdr, 0 if svc < 0 else (HIGHEST_US if svc > HIGHEST_US else svc))


class Counter:
    """A count; its first flush sends it even at 0, so a series the run knows it will count
    (`dropped{role}`) reads 0 from the start, not "never recorded" (Prometheus' advice)."""

    __slots__ = ("examples", "key", "sent", "value")

    def __init__(self, key: MetricKey) -> None:
        self.key = key
        self.value = 0
        self.sent = False
        self.examples: list[str] = []

    def add(self, n: int = 1, example: str | None = None) -> None:
        """Count `n`; `example` (a tx hash) is kept if fewer than MAX_EXAMPLES are this interval."""
        self.value += n
        if example is not None and len(self.examples) < MAX_EXAMPLES:
            self.examples.append(example)


class Gauge:
    """Last and largest value set in the interval (in-flight peaks matter, not just the end)."""

    __slots__ = ("key", "last", "max", "touched")

    def __init__(self, key: MetricKey) -> None:
        self.key = key
        self.last = 0.0
        self.max = 0.0
        self.touched = False

    def set(self, value: float) -> None:
        self.last = value
        if not self.touched or value > self.max:
            self.max = value
        self.touched = True


class Recorder:
    """Series keyed by (chain, action or endpoint, outcome) per phase, plus named counters."""

    def __init__(self, source: str = "local") -> None:
        self.source = source
        self._timers: dict[tuple[str, str, str, str], Timer] = {}
        self._histograms: dict[MetricKey, Histogram] = {}
        self._counters: dict[MetricKey, Counter] = {}
        self._gauges: dict[MetricKey, Gauge] = {}
        self._kinds: dict[str, Kind] = {}
        # handles by the call that asked (name, kind and labels in the caller's order): a
        # second ask skips checking the name and sorting the labels (~2 µs of each intent)
        self._asked: dict[tuple[object, ...], Histogram | Counter | Gauge] = {}

    def timer(self, phase: str, *, chain: str, action: str, outcome: str = "ok") -> Timer:
        """The series of `lat.<phase>` and `svc.<phase>`; for phase "query", `action` is the
        endpoint (label `endpoint`, as in `lat.query{endpoint}`)."""
        found = self._timers.get((phase, chain, action, outcome))
        if found is not None:
            return found
        if phase not in PHASES:
            raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
        what = "endpoint" if phase == "query" else "action"
        labels = {"chain": chain, what: action, "outcome": outcome}
        made = Timer(
            self.histogram(f"lat.{phase}", **labels), self.histogram(f"svc.{phase}", **labels)
        )
        self._timers[(phase, chain, action, outcome)] = made
        return made

    def observe(
        self,
        phase: str,
        chain: str,
        action: str,
        outcome: str,
        intended_ts: float,
        sent_ts: float,
        done_ts: float,
    ) -> None:
        """`timer(...).record(...)` in one call, for code that learns the outcome last."""
        found = self._timers.get((phase, chain, action, outcome))
        if found is None:
            found = self.timer(phase, chain=chain, action=action, outcome=outcome)
        found.record(intended_ts, sent_ts, done_ts)

    def histogram(self, name: str, **labels: str) -> Histogram:
        asked = ("histogram", name, *labels.items())
        found = self._asked.get(asked)
        if isinstance(found, Histogram):
            return found
        key = self._key(name, "histogram", labels)
        made = self._histograms.get(key)
        if made is None:
            made = self._histograms[key] = Histogram(key)
        self._asked[asked] = made
        return made

    def counter(self, name: str, **labels: str) -> Counter:
        asked = ("counter", name, *labels.items())
        found = self._asked.get(asked)
        if isinstance(found, Counter):
            return found
        key = self._key(name, "counter", labels)
        made = self._counters.get(key)
        if made is None:
            made = self._counters[key] = Counter(key)
        self._asked[asked] = made
        return made

    def gauge(self, name: str, **labels: str) -> Gauge:
        asked = ("gauge", name, *labels.items())
        found = self._asked.get(asked)
        if isinstance(found, Gauge):
            return found
        key = self._key(name, "gauge", labels)
        made = self._gauges.get(key)
        if made is None:
            made = self._gauges[key] = Gauge(key)
        self._asked[asked] = made
        return made

    def flush(self, interval: int) -> IntervalDelta:
        """Everything recorded since the last flush, as interval `interval`; then start over."""
        histograms = []
        for hist in self._histograms.values():
            count = hist.hdr.total_count
            if count:
                index, counts = take_counts(hist.hdr)
                histograms.append(HistogramDelta.of_counts(hist.key, index, counts, count))
        counters = []
        examples = []
        for counter in self._counters.values():
            if counter.value or not counter.sent:
                counters.append((counter.key, counter.value))
                counter.value = 0
                counter.sent = True
            if counter.examples:
                examples.append((counter.key, tuple(counter.examples)))
                counter.examples = []
        gauges = []
        for gauge in self._gauges.values():
            if gauge.touched:
                gauges.append(GaugeDelta(gauge.key, gauge.last, gauge.max))
                gauge.touched = False
        return IntervalDelta(
            self.source,
            interval,
            tuple(histograms),
            tuple(counters),
            tuple(gauges),
            tuple(examples),
        )

    def _key(self, name: str, kind: Kind, labels: dict[str, str]) -> MetricKey:
        if self._kinds.get(name) != kind:
            check_name(name, kind)
            used = self._kinds.setdefault(name, kind)
            if used != kind:
                raise ValueError(f"metric {name!r} is already a {used} in this run, not a {kind}")
        return MetricKey(name, labels_of(labels))
