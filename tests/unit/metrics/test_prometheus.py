"""Live exposition: parseable text, cumulative buckets, on a registry of its own, and names
that follow Prometheus' conventions (`promtool check metrics` finds nothing)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from botruntime.metrics import PrometheusExporter, Recorder, RunMetrics, prometheus_name
from botruntime.metrics._keys import kind_of, known_names


def _recorded() -> RunMetrics:
    run = RunMetrics()
    rec = Recorder("w1")
    for ms in (2, 2, 40, 700):
        rec.observe("submit", "alpha", "send_ax", "ok", 0.0, 0.0, ms / 1000)
    rec.observe("commit", "alpha", "send_ax", "ok", 0.0, 0.0, 1.5)
    rec.timer("query", chain="alpha", action="/status").record(0.0, 0.0, 0.003)
    rec.counter("n.reject", action="send_ax", code="bad_nonce", expected="no").add(3)
    rec.counter("n.intent", action="send_ax").add(4)
    rec.counter("adv.replays_effective", chain="alpha", how="same_nonce").add(1)
    rec.gauge("adv.release_lag_s").set(2.5)
    rec.gauge("gen.rss_bytes").set(123.0)
    rec.gauge("gen.cpu").set(0.25)
    rec.gauge("gen.bots", state="running").set(10)
    rec.histogram("gen.loop_lag").record_s(0.002)
    rec.counter("dropped", role="general_user").add(1)
    run.ingest(rec.flush(0))
    return run


def test_exposition_carries_counters_histograms_and_gauges() -> None:
    exporter = PrometheusExporter(_recorded())
    families = {f.name: f for f in text_string_to_metric_families(exporter.render().decode())}
    latency = families["testbots_latency_seconds"].samples
    buckets = {
        s.labels["le"]: s.value
        for s in latency
        if s.name.endswith("_bucket") and s.labels["phase"] == "submit"
    }
    assert buckets["0.001"] == 0 and buckets["0.0025"] == 2 and buckets["0.05"] == 3
    assert buckets["1.0"] == 4 and buckets["+Inf"] == 4
    counts = {
        (s.labels["phase"], s.labels.get("action"), s.labels.get("endpoint")): s.value
        for s in latency
        if s.name.endswith("_count")
    }
    assert counts == {
        ("submit", "send_ax", ""): 4,
        ("commit", "send_ax", ""): 1,
        ("query", "", "/status"): 1,
    }
    reject = families["testbots_rejects"].samples[0]
    assert reject.value == 3 and reject.labels["code"] == "bad_nonce"
    assert families["testbots_intents"].samples[0].value == 4
    assert families["testbots_generator_resident_memory_bytes"].samples[0].labels["worker"] == "w1"
    assert families["testbots_generator_cpu_ratio"].samples[0].value == 0.25
    assert families["testbots_bots"].samples[0].labels["state"] == "running"
    assert families["testbots_adv_release_lag_seconds"].samples[0].value == 2.5
    assert families["testbots_adv_replays_effective"].samples[0].labels["how"] == "same_nonce"
    assert b"testbots_" not in generate_latest(REGISTRY)  # nothing leaked into the global one


def test_promtool_finds_nothing_to_fix(promtool: Callable[[str], str]) -> None:
    assert promtool(PrometheusExporter(_recorded()).render().decode()) == ""


def test_every_vocabulary_name_has_its_own_series_in_prometheus() -> None:
    """Two names share a family only when a label tells them apart (the latency phases)."""
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for name in known_names():
        kind = kind_of(name)
        assert kind is not None
        prom = prometheus_name(name, kind)
        assert prom.family.startswith("testbots_") and prom.help
        assert (prom.family, prom.labels) not in seen, (name, seen.get((prom.family, prom.labels)))
        seen[prom.family, prom.labels] = name
        if kind == "histogram":
            assert prom.family.endswith("_seconds"), name
