"""The query surface a verdict reads: filters, windows, series, summaries, JSON."""

from __future__ import annotations

import orjson
import pytest

from botruntime.metrics import MetricKindError, Recorder, RunMetrics, UnknownMetric


def _run() -> RunMetrics:
    """Two workers, 10 intervals; interval 5 is slow (1 s) on worker a, 10 ms elsewhere."""
    run = RunMetrics()
    for source in ("a", "b"):
        rec = Recorder(source)
        for interval in range(10):
            slow = source == "a" and interval == 5
            for i in range(100):
                outcome = "bad_nonce" if i < 2 else "ok"
                rec.observe("submit", "alpha", "send_ax", outcome, 0.0, 0.0, 1.0 if slow else 0.01)
            rec.observe("submit", "delta", "swap", "ok", 0.0, 0.0, 0.2)
            rec.counter("n.intent", action="send_ax").add(100)
            rec.counter("n.reject", action="send_ax", code="bad_nonce").add(2)
            rec.gauge("gen.cpu").set(0.9 if slow else 0.2)
            run.ingest(rec.flush(interval))
    return run


def test_labels_filter_and_merge_matching_series() -> None:
    run = _run()
    assert run.count("lat.submit") == 2 * 10 * 101
    assert run.count("lat.submit", {"action": "send_ax"}) == 2000
    assert run.count("lat.submit", {"action": "send_ax", "outcome": "ok"}) == 1960
    assert run.count("n.reject", {"code": "bad_nonce"}) == 40
    assert run.quantile_s("lat.submit", {"action": "swap"}, 0.5) == pytest.approx(0.2, rel=1e-3)
    assert run.quantile_s("lat.submit", {"action": "nope"}, 0.5) is None


def test_windows_and_sliding_windows_find_the_slow_second() -> None:
    run = _run()
    assert run.intervals == range(10)
    send = {"action": "send_ax"}
    assert run.quantile_s("lat.submit", send, 0.99, range(0, 5)) == pytest.approx(0.01, rel=1e-3)
    assert run.quantile_s("lat.submit", send, 0.99, range(5, 6)) == pytest.approx(1.0, rel=1e-3)
    sliding = run.sliding_quantile_s("lat.submit", send, 0.99, width=3)
    assert [first for first, _ in sliding] == list(range(8))
    slow = [first for first, value in sliding if value > 0.5]
    assert slow == [3, 4, 5]
    assert run.count("n.intent", None, range(2, 4)) == 400


def test_series_gauges_and_rates() -> None:
    run = _run()
    assert run.series("n.intent") == [(i, 200.0) for i in range(10)]
    assert run.series("gen.cpu")[5] == (5, 0.9)
    assert run.gauge_max("gen.cpu") == 0.9
    assert run.gauge_max("gen.cpu", {"worker": "b"}) == 0.2
    assert run.rate_per_s("n.intent") == pytest.approx(200.0)


def test_summary_gives_percentiles_and_error_rate_by_code() -> None:
    summary = _run().summary("lat.submit", {"action": "send_ax"})
    assert summary.count == 2000
    assert summary.rate_per_s == pytest.approx(200.0)
    assert summary.outcomes == {"ok": 1960, "bad_nonce": 40}
    assert summary.error_rate == pytest.approx(0.02)
    assert summary.error_rate_by_code() == {"bad_nonce": pytest.approx(0.02)}
    assert summary.quantiles_s[0.5] == pytest.approx(0.01, rel=1e-3)
    assert summary.max_s == pytest.approx(1.0, rel=1e-3)


def test_json_export_round_trips_and_keeps_histograms_mergeable() -> None:
    run = _run()
    doc = orjson.loads(orjson.dumps(run.to_json()))
    assert doc["intervals"] == [0, 10]
    swap = next(h for h in doc["histograms"] if h["labels"].get("action") == "swap")
    assert swap["count"] == 20
    assert swap["p99_s"] == pytest.approx(0.2, rel=1e-3)
    from botruntime.metrics._hdr import decode

    assert decode(swap["hdr"], field="hdr").get_total_count() == 20
    intents = next(c for c in doc["counters"] if c["metric"] == "n.intent")
    assert intents["total"] == 2000 and len(intents["series"]) == 10


def test_queries_refuse_unknown_names_and_wrong_kinds() -> None:
    run = _run()
    with pytest.raises(UnknownMetric):
        run.quantile_s("lat.sumbit", None, 0.99)
    with pytest.raises(MetricKindError):
        run.quantile_s("n.intent", None, 0.99)
    assert run.count("adv.replays_effective") == 0  # a scenario name never recorded reads 0
