"""Live exposition: parseable text, cumulative buckets, on a registry of its own."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from botruntime.metrics import PrometheusExporter, Recorder, RunMetrics


def test_exposition_carries_counters_histograms_and_gauges() -> None:
    run = RunMetrics()
    rec = Recorder("w1")
    for ms in (2, 2, 40, 700):
        rec.observe("submit", "alpha", "send_ax", "ok", 0.0, 0.0, ms / 1000)
    rec.counter("n.reject", action="send_ax", code="bad_nonce").add(3)
    rec.gauge("gen.rss_bytes").set(123.0)
    run.ingest(rec.flush(0))
    exporter = PrometheusExporter(run)

    families = {f.name: f for f in text_string_to_metric_families(exporter.render().decode())}
    buckets = {
        s.labels["le"]: s.value
        for s in families["testbots_lat_submit_seconds"].samples
        if s.name.endswith("_bucket")
    }
    assert buckets["0.001"] == 0 and buckets["0.0025"] == 2 and buckets["0.05"] == 3
    assert buckets["1.0"] == 4 and buckets["+Inf"] == 4
    reject = families["testbots_n_reject"].samples[0]
    assert reject.value == 3 and reject.labels["code"] == "bad_nonce"
    assert families["testbots_gen_rss_bytes"].samples[0].labels["worker"] == "w1"
    assert b"testbots_" not in generate_latest(REGISTRY)  # nothing leaked into the global one
