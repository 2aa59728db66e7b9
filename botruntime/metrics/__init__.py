"""Metrics of a load run: record cheaply, merge exactly, query for verdicts (DESIGN §5).

    Recorder ──flush every 1 s──> IntervalDelta ──to_bytes/from_bytes──> RunMetrics.ingest
    (one per process, hot path)   (HDR-encoded)     (any transport)       (merge + queries)

A worker sends its deltas packed (`DeltaPacker`: every histogram's non-zero counters in one
compressed payload); the coordinator checks them (`DeltaUnpacker`) and merges them into
`MergedIntervals` (one merged delta per interval, at constant memory); a client takes those
with `RunMetrics.put_interval`. A counter may carry a
few examples of what it counted (`counter(...).add(example=tx_hash)`, at most `MAX_EXAMPLES`
per series and interval): they travel and merge with it, and `RunMetrics.examples` reads them.

`RunMetrics` answers the verdict's questions: `quantile_s("lat.submit", {"action": "send_ax"},
0.99)`, `count("n.reject", {"code": "bad_nonce"})`, windows as `range`s of intervals, per
interval `series`, `summary`, `to_json`. `PrometheusExporter` shows the same figures live.
Names follow SCENARIOS.md §1.3; errors are drawn in `_errors.py`.
"""

from botruntime.metrics._delta import MAX_EXAMPLES, GaugeDelta, HistogramDelta, IntervalDelta
from botruntime.metrics._errors import (
    DeltaDecodeError,
    MetricKindError,
    MetricsError,
    UnknownMetric,
)
from botruntime.metrics._hdr import HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS, new_histogram
from botruntime.metrics._health import GeneratorHealth
from botruntime.metrics._keys import Labels, MetricKey
from botruntime.metrics._merged import MERGED_SOURCE, MergedIntervals
from botruntime.metrics._packed import PACKED_VERSION, DeltaPacker, DeltaUnpacker, PackedDelta
from botruntime.metrics._prometheus import (
    BUCKETS_S,
    NAMESPACE,
    PrometheusExporter,
    PromName,
    prometheus_name,
)
from botruntime.metrics._pump import IntervalPump, Sink
from botruntime.metrics._recorder import Counter, Gauge, Histogram, Recorder, Timer
from botruntime.metrics._run import RunMetrics
from botruntime.metrics._summary import SUMMARY_QUANTILES, Summary

__all__ = [
    "BUCKETS_S",
    "HIGHEST_US",
    "LOWEST_US",
    "MAX_EXAMPLES",
    "MERGED_SOURCE",
    "NAMESPACE",
    "PACKED_VERSION",
    "SIGNIFICANT_DIGITS",
    "SUMMARY_QUANTILES",
    "Counter",
    "DeltaDecodeError",
    "DeltaPacker",
    "DeltaUnpacker",
    "Gauge",
    "GaugeDelta",
    "GeneratorHealth",
    "Histogram",
    "HistogramDelta",
    "IntervalDelta",
    "IntervalPump",
    "Labels",
    "MergedIntervals",
    "MetricKey",
    "MetricKindError",
    "MetricsError",
    "PackedDelta",
    "PromName",
    "PrometheusExporter",
    "Recorder",
    "RunMetrics",
    "Sink",
    "Summary",
    "Timer",
    "UnknownMetric",
    "new_histogram",
    "prometheus_name",
]
