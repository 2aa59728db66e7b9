"""The hot-path side: what a handle records, what a flush hands over, which names it accepts."""

from __future__ import annotations

import ctypes

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.metrics import (
    HIGHEST_US,
    MetricKindError,
    Recorder,
    RunMetrics,
    UnknownMetric,
    new_histogram,
)
from botruntime.metrics._hdr_add import BlobAdder


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


def _state(hist: HdrHistogram) -> tuple[bytes, int, int, int]:
    counts = ctypes.string_at(ctypes.addressof(hist.counts), hist.counts_len * 8)
    return counts, hist.total_count, hist.min_value, hist.max_value


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, HIGHEST_US), max_size=300), min_size=1, max_size=4))
def test_each_flush_gives_the_counters_and_blob_hdrhistogram_records(
    batches: list[list[int]],
) -> None:
    """A flush takes the non-zero counters out and empties the histogram in place; the blob
    made from them later is HdrHistogram's own encode of the same values, byte for byte."""
    rec, adder = Recorder("w1"), BlobAdder()
    hist = rec.histogram("lat.submit", action="send_ax")
    for interval, values in enumerate(batches):
        reference = new_histogram()
        for us in values:
            hist.record_us(us)
            reference.record_value(us)
        delta = rec.flush(interval)
        assert _state(hist.hdr) == _state(new_histogram())  # as new, for the next interval
        if not values:
            assert delta.histograms == ()
            continue
        (got,) = delta.histograms
        assert got.count == len(values)
        assert got.sparse is not None
        index, counts = got.sparse
        blob = reference.encode().decode("ascii")
        want_index, want_counts = adder.sparse(blob, field="reference")
        assert (index.tolist(), counts.tolist()) == (want_index.tolist(), want_counts.tolist())
        assert got.blob == blob
        assert got.sparse is None  # once made, only the blob is kept


def test_a_flushed_delta_keeps_its_values_while_recording_goes_on() -> None:
    rec = Recorder()
    hist = rec.histogram("lat.submit", action="send_ax")
    hist.record_us(500)
    hist.record_us(70_000)
    (flushed,) = rec.flush(0).histograms
    for _ in range(3):
        hist.record_us(500)
    assert flushed.sparse is not None
    assert flushed.sparse[1].tolist() == [1, 1]
    decoded = HdrHistogram.decode(flushed.blob)
    assert (decoded.get_total_count(), decoded.get_count_at_value(500)) == (2, 1)
    assert rec.flush(1).histograms[0].count == 3
