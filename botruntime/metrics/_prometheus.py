"""Live Prometheus exposition of a `RunMetrics` or a coordinator's `MergedIntervals`, on a
registry of its own (never the global one).

`prometheus_name` is the one owner of the names a scrape shows: the vocabulary of
SCENARIOS §1.3 (`_keys.py`) mapped to Prometheus' conventions (a `testbots_` namespace, base
units in the name, `_total` on counters), the four latency phases as one histogram with a
`phase` label. Open-prefix names (`adv.`, `chain.`, …) keep their words: `adv.release_lag_s`
becomes `testbots_adv_release_lag_seconds`. Histograms become Prometheus histograms with fixed
buckets, counted from the HDR counts at scrape time. A scrape reads only merged intervals, so
what Prometheus sees is what the verdict will see, one interval later.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple

from hdrh.histogram import HdrHistogram
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from botruntime.metrics._keys import PHASES, Kind, Labels, MetricKey
from botruntime.metrics._merged import MergedIntervals
from botruntime.metrics._run import RunMetrics

__all__ = ["BUCKETS_S", "NAMESPACE", "PromName", "PrometheusExporter", "prometheus_name"]

NAMESPACE: Final = "testbots"

BUCKETS_S: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
)


class PromName(NamedTuple):
    """A vocabulary name as Prometheus shows it: the family (a counter's without `_total`,
    which the exposition adds), its help, and labels that tell its series apart in the family."""

    family: str
    help: str
    labels: Labels = ()


def _phase(kind: str, phase: str, help_text: str) -> PromName:
    return PromName(f"{NAMESPACE}_{kind}_seconds", help_text, (("phase", phase),))


_NAMES: Final[Mapping[str, PromName]] = {
    **{
        f"lat.{p}": _phase("latency", p, "latency from the intended start (no omission)")
        for p in PHASES
    },
    **{f"svc.{p}": _phase("service", p, "service time from the actual send") for p in PHASES},
    "gen.schedule_lag": PromName(
        f"{NAMESPACE}_generator_schedule_lag_seconds", "arrival started minus intended"
    ),
    "gen.loop_lag": PromName(f"{NAMESPACE}_generator_loop_lag_seconds", "event-loop lag"),
    "wait.blocked": PromName(
        f"{NAMESPACE}_blocked_wait_seconds", "how long a blocked arrival waited for a free bot"
    ),
    "n.intent": PromName(f"{NAMESPACE}_intents", "logical user actions started"),
    "n.attempt": PromName(f"{NAMESPACE}_attempts", "HTTP submissions, retries included"),
    "n.commit": PromName(f"{NAMESPACE}_commits", "intents seen in a block"),
    "n.lost": PromName(f"{NAMESPACE}_lost", "accepted, never seen in a block by the drain's end"),
    "n.reject": PromName(f"{NAMESPACE}_rejects", "refused by the network, by code"),
    "n.failed": PromName(f"{NAMESPACE}_failed", "in a block with a failure code, by code"),
    "n.error": PromName(f"{NAMESPACE}_errors", "no usable answer, by kind"),
    "dropped": PromName(
        f"{NAMESPACE}_generator_dropped", "arrivals the generator reached too late to send"
    ),
    "n.blocked": PromName(
        f"{NAMESPACE}_generator_blocked", "arrivals that found every bot of their role waiting"
    ),
    "n.blocked_abandoned": PromName(
        f"{NAMESPACE}_generator_blocked_abandoned", "blocked arrivals never placed"
    ),
    "gen.offered": PromName(f"{NAMESPACE}_generator_offered", "arrivals whose time came"),
    "gen.action_failed": PromName(
        f"{NAMESPACE}_generator_action_failures", "actions that raised instead of recording"
    ),
    "gen.abandoned": PromName(
        f"{NAMESPACE}_generator_abandoned", "actions in flight when the drain deadline passed"
    ),
    "gen.cpu": PromName(f"{NAMESPACE}_generator_cpu_ratio", "fraction of one core used"),
    "gen.rss_bytes": PromName(f"{NAMESPACE}_generator_resident_memory_bytes", "resident memory"),
    "gen.inflight": PromName(f"{NAMESPACE}_generator_in_flight", "actions in flight, per role"),
    "gen.bots": PromName(f"{NAMESPACE}_bots", "bots by lifecycle state"),
    "fleet.rss_bytes": PromName(
        f"{NAMESPACE}_fleet_resident_memory_bytes", "resident memory of a fleet process"
    ),
    "fleet.fds": PromName(f"{NAMESPACE}_fleet_open_fds", "open file descriptors of a process"),
}


def prometheus_name(name: str, kind: Kind) -> PromName:
    """The family (and telling labels) a vocabulary or open-prefix name is exposed as."""
    known = _NAMES.get(name)
    if known is not None:
        return known
    words = name.replace(".", "_").replace("-", "_")
    if words.endswith("_s"):
        words = words.removesuffix("_s") + "_seconds"
    elif words.endswith("_ms"):
        words = words.removesuffix("_ms") + "_seconds"  # converted: see _scale
    elif kind == "histogram" and not words.endswith("_seconds"):
        words += "_seconds"
    return PromName(f"{NAMESPACE}_{words}", f"testbots {kind} {name}")


def _scale(name: str) -> float:
    """What a gauge or counter value is multiplied by to be in the family's base unit."""
    return 0.001 if name.endswith("_ms") and name not in _NAMES else 1.0


class PrometheusExporter:
    """`render()` gives the text exposition; serve it, or pass `.registry` to
    `prometheus_client.start_http_server(port, registry=...)`."""

    content_type: Final = CONTENT_TYPE_LATEST

    def __init__(self, metrics: RunMetrics | MergedIntervals) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_RunCollector(metrics))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RunCollector(Collector):
    def __init__(self, metrics: RunMetrics | MergedIntervals) -> None:
        self._metrics = metrics

    def describe(self) -> Iterator[Metric]:
        return iter(())  # names vary with what was recorded; nothing to collect at register

    def collect(self) -> Iterator[Metric]:
        families: dict[str, tuple[Kind, PromName, list[MetricKey]]] = {}
        for key in self._metrics.keys():
            kind = self._metrics.kind(key.name)
            prom = prometheus_name(key.name, kind)
            families.setdefault(prom.family, (kind, prom, []))[2].append(key)
        for family, (kind, prom, keys) in sorted(families.items()):
            label_names = sorted(
                {label for key in keys for label, _ in (*key.labels, *_telling(key))}
            )
            if kind == "histogram":
                hists = HistogramMetricFamily(family, prom.help + ", seconds", labels=label_names)
                for key in keys:
                    buckets, sum_s = _buckets(self._metrics.histogram(key.name, dict(key.labels)))
                    hists.add_metric(_values(key, label_names), buckets, sum_s)
                yield hists
            elif kind == "counter":
                counters = CounterMetricFamily(family, prom.help, labels=label_names)
                for key in keys:
                    total = self._metrics.count(key.name, dict(key.labels))
                    counters.add_metric(_values(key, label_names), total * _scale(key.name))
                yield counters
            else:
                gauges = GaugeMetricFamily(family, prom.help, labels=label_names)
                for key in keys:
                    last = self._metrics.gauge_last(key.name, dict(key.labels))
                    if last is not None:
                        gauges.add_metric(_values(key, label_names), last * _scale(key.name))
                yield gauges


def _telling(key: MetricKey) -> Labels:
    known = _NAMES.get(key.name)
    return known.labels if known is not None else ()


def _values(key: MetricKey, label_names: list[str]) -> list[str]:
    have = {**dict(key.labels), **dict(_telling(key))}
    return [have.get(label, "") for label in label_names]


def _buckets(hist: HdrHistogram) -> tuple[list[tuple[str, float]], float]:
    """Cumulative counts at each bound, and the sum of values (each at its bucket's value)."""
    counts = list(hist.counts)
    out: list[tuple[str, float]] = []
    running = 0
    start = 0
    for bound_s in BUCKETS_S:
        end = min(hist.get_counts_array_index(int(bound_s * 1e6)) + 1, len(counts))
        running += sum(counts[start:end])
        start = end
        out.append((repr(bound_s), float(running)))
    out.append(("+Inf", float(hist.get_total_count())))
    sum_us = sum(c * hist.get_value_from_index(i) for i, c in enumerate(counts) if c)
    return out, sum_us / 1e6
