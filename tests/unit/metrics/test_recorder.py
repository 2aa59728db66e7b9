"""The hot-path side: what a handle records, what a flush hands over, which names it accepts."""

from __future__ import annotations

import pytest

from botruntime.metrics import HIGHEST_US, MetricKindError, Recorder, RunMetrics, UnknownMetric


def test_latency_counts_from_intended_time_and_service_from_the_send() -> None:
    rec = Recorder()
    rec.timer("submit", chain="alpha", action="send_ax").record(10.0, 10.75, 11.0)
    run = RunMetrics()
    run.ingest(rec.flush(0))
    assert run.quantile_s("lat.submit", {"action": "send_ax"}, 1.0) == pytest.approx(1.0, rel=1e-3)
    assert run.quantile_s("svc.submit", {"action": "send_ax"}, 1.0) == pytest.approx(0.25, rel=1e-3)


def test_query_phase_labels_the_endpoint() -> None:
    rec = Recorder()
    rec.observe("query", "alpha", "/blocks/latest", "ok", 0.0, 0.0, 0.004)
    run = RunMetrics()
    run.ingest(rec.flush(0))
    assert run.count("lat.query", {"endpoint": "/blocks/latest", "chain": "alpha"}) == 1
    assert run.count("lat.query", {"action": "/blocks/latest"}) == 0


def test_a_value_beyond_an_hour_counts_as_an_hour() -> None:
    rec = Recorder()
    rec.histogram("lat.commit", action="send_ax").record_s(7200.0)
    run = RunMetrics()
    run.ingest(rec.flush(0))
    assert run.count("lat.commit") == 1
    assert run.quantile_s("lat.commit", None, 1.0) == pytest.approx(HIGHEST_US / 1e6, rel=1e-3)


def test_flush_hands_over_the_interval_and_starts_over() -> None:
    rec = Recorder("w7")
    timer = rec.timer("submit", chain="alpha", action="send_ax")
    intents = rec.counter("n.intent", action="send_ax")
    timer.record(0.0, 0.0, 0.01)
    intents.add(2)
    rec.gauge("gen.inflight", role="payers").set(5)
    rec.gauge("gen.inflight", role="payers").set(3)
    first = rec.flush(0)
    assert (first.source, first.interval) == ("w7", 0)
    assert [h.count for h in first.histograms] == [1, 1]  # lat and svc
    assert [v for _, v in first.counters] == [2]
    assert [(g.last, g.max) for g in first.gauges] == [(3, 5)]
    second = rec.flush(1)
    assert second.empty  # handles stay valid, their values went with the first flush
    timer.record(0.0, 0.0, 0.01)
    assert rec.flush(2).histograms[0].count == 1


def test_a_new_counter_is_sent_once_at_zero_then_only_when_it_counts() -> None:
    """A series the run knows it will count reads 0 from the start (Prometheus shows 0, not
    an absent series); afterwards an interval without counts sends nothing."""
    rec = Recorder("w7")
    dropped = rec.counter("dropped", role="payers")
    first = rec.flush(0)
    assert [(k.name, dict(k.labels), v) for k, v in first.counters] == [
        ("dropped", {"role": "payers"}, 0)
    ]
    assert rec.flush(1).empty
    dropped.add()
    assert [v for _, v in rec.flush(2).counters] == [1]
    run = RunMetrics()
    run.ingest(first)
    assert run.keys("dropped") and run.count("dropped") == 0


def test_names_outside_the_vocabulary_are_refused_with_a_suggestion() -> None:
    rec = Recorder()
    with pytest.raises(UnknownMetric) as err:
        rec.counter("n.intents")
    assert err.value.suggestion == "n.intent"
    with pytest.raises(MetricKindError):
        rec.histogram("n.intent")
    rec.counter("adv.replays_effective").add()  # scenario prefixes are open
    with pytest.raises(ValueError, match="phase"):
        rec.timer("broadcast", chain="alpha", action="send_ax")


def test_a_handle_asked_again_is_the_same_series_whatever_the_label_order() -> None:
    rec = Recorder()
    first = rec.counter("n.reject", action="send_ax", code="bad_nonce", expected="no")
    again = rec.counter("n.reject", expected="no", code="bad_nonce", action="send_ax")
    assert (
        again is first is rec.counter("n.reject", action="send_ax", code="bad_nonce", expected="no")
    )
    first.add()
    again.add(2)
    ((key, value),) = rec.flush(0).counters
    assert value == 3 and key.label_dict()["code"] == "bad_nonce"
    assert rec.histogram("adv.delay_s", action="a") is rec.histogram("adv.delay_s", action="a")


def test_a_name_asked_before_as_one_kind_is_still_refused_as_another() -> None:
    rec = Recorder()
    rec.counter("n.intent", action="send_ax")
    rec.counter("n.intent", action="send_ax")
    with pytest.raises(MetricKindError):
        rec.histogram("n.intent", action="send_ax")
    with pytest.raises(MetricKindError):
        rec.gauge("n.intent", action="send_ax")
