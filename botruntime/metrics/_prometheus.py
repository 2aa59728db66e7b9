"""Live Prometheus exposition of a `RunMetrics` or a coordinator's `MergedIntervals`, on a
registry of its own (never the global one).

Histograms become Prometheus histograms with fixed buckets, counted from the HDR counts at
scrape time; names map `lat.submit` to `testbots_lat_submit_seconds`. A scrape reads only
merged intervals, so what Prometheus sees is what the verdict will see, one interval later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from hdrh.histogram import HdrHistogram
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from botruntime.metrics._keys import MetricKey
from botruntime.metrics._merged import MergedIntervals
from botruntime.metrics._run import RunMetrics

__all__ = ["BUCKETS_S", "PrometheusExporter"]

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


class PrometheusExporter:
    """`render()` gives the text exposition; serve it, or pass `.registry` to
    `prometheus_client.start_http_server(port, registry=...)`."""

    content_type: Final = CONTENT_TYPE_LATEST

    def __init__(self, metrics: RunMetrics | MergedIntervals, namespace: str = "testbots") -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_RunCollector(metrics, namespace))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RunCollector(Collector):
    def __init__(self, metrics: RunMetrics | MergedIntervals, namespace: str) -> None:
        self._metrics = metrics
        self._ns = namespace

    def describe(self) -> Iterator[Metric]:
        return iter(())  # names vary with what was recorded; nothing to collect at register

    def collect(self) -> Iterator[Metric]:
        by_name: dict[str, list[MetricKey]] = {}
        for key in self._metrics.keys():
            by_name.setdefault(key.name, []).append(key)
        for name, keys in sorted(by_name.items()):
            label_names = sorted({label for key in keys for label, _ in key.labels})
            flat = f"{self._ns}_{name.replace('.', '_').replace('-', '_')}"
            kind = self._metrics.kind(name)
            if kind == "histogram":
                yield self._histograms(flat, name, keys, label_names)
            elif kind == "counter":
                counters = CounterMetricFamily(flat, f"testbots counter {name}", labels=label_names)
                for key in keys:
                    total = self._metrics.count(name, dict(key.labels))
                    counters.add_metric(_values(key, label_names), total)
                yield counters
            else:
                gauges = GaugeMetricFamily(flat, f"testbots gauge {name}", labels=label_names)
                for key in keys:
                    last = self._metrics.gauge_last(name, dict(key.labels))
                    if last is not None:
                        gauges.add_metric(_values(key, label_names), last)
                yield gauges

    def _histograms(
        self, flat: str, name: str, keys: list[MetricKey], label_names: list[str]
    ) -> HistogramMetricFamily:
        family = HistogramMetricFamily(
            f"{flat}_seconds", f"testbots {name}, seconds (HDR, 3 digits)", labels=label_names
        )
        for key in keys:
            hist = self._metrics.histogram(name, dict(key.labels))
            buckets, sum_s = _buckets(hist)
            family.add_metric(_values(key, label_names), buckets, sum_s)
        return family


def _values(key: MetricKey, label_names: list[str]) -> list[str]:
    have = dict(key.labels)
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
