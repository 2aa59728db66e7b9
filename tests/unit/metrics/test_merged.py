"""The coordinator's per-interval merge: exact, exactly once, versioned, at bounded memory."""

from __future__ import annotations

import binascii
import ctypes
import gc
import random
import struct
import tracemalloc
import zlib

import pytest
from hdrh.codec import payload_header_size
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.metrics import (
    MERGED_SOURCE,
    DeltaDecodeError,
    IntervalDelta,
    MergedIntervals,
    MetricKindError,
    PrometheusExporter,
    Recorder,
    RunMetrics,
)
from botruntime.metrics import _merged as merged_module
from botruntime.metrics._delta import HistogramDelta
from botruntime.metrics._keys import MetricKey
from botruntime.metrics._sealed import SealedIntervals

QS = (0.5, 0.9, 0.99, 1.0)


def _delta(
    source: str, interval: int, seed: int, values: int = 20, *, gauge: bool = True
) -> IntervalDelta:
    """One worker's interval: latency and service time of two actions, a counter, a gauge."""
    rng = random.Random(seed)
    rec = Recorder(source)
    for action in ("send_ax", "swap"):
        timer = rec.timer("submit", chain="alpha", action=action)
        for _ in range(values):
            timer.record(0.0, rng.random() * 0.002, rng.lognormvariate(-5.0, 0.8))
    rec.counter("n.intent", action="send_ax").add(values)
    if gauge:
        rec.gauge("gen.cpu").set(rng.random())
    return rec.flush(interval)


def _same(a: RunMetrics | MergedIntervals, b: RunMetrics) -> None:
    """Every whole-run figure a status or a scrape reads is the same."""
    assert a.intervals == b.intervals
    assert a.keys() == b.keys()
    for name in ("lat.submit", "svc.submit", "n.intent"):
        assert a.count(name) == b.count(name)
    for action in ("send_ax", "swap"):
        got = a.histogram("lat.submit", {"action": action})
        want = b.histogram("lat.submit", {"action": action})
        assert list(got.counts) == list(want.counts)
        assert (got.get_min_value(), got.get_max_value()) == (
            want.get_min_value(),
            want.get_max_value(),
        )
    assert a.gauge_last("gen.cpu") == b.gauge_last("gen.cpu")


def _counts(hist: HdrHistogram) -> bytes:
    return ctypes.string_at(ctypes.addressof(hist.counts), hist.counts_len * 8)


def _windows_same(a: RunMetrics, b: RunMetrics) -> None:
    for i in b.intervals:
        window = range(i, i + 1)
        assert a.quantiles_s("lat.submit", None, QS, window) == b.quantiles_s(
            "lat.submit", None, QS, window
        )
        assert a.count("n.intent", None, window) == b.count("n.intent", None, window)
        assert a.gauge_max("gen.cpu", None, window) == b.gauge_max("gen.cpu", None, window)


def _pull(store: MergedIntervals, into: RunMetrics, since: int) -> int:
    """What a follower does: put every interval changed since `since`; the new version."""
    for interval in store.changed_since(since):
        into.put_interval(IntervalDelta.from_bytes(store.merged_bytes(interval)))
    return store.version


events = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 11), st.integers(0, 10_000)),  # src, ivl, seed
    min_size=1,
    max_size=60,
)


@pytest.mark.parametrize("sort_below", [0, 1 << 40], ids=["by-rows", "by-sorting"])
@settings(max_examples=40, deadline=None)
@given(events, st.integers(1, 3))
def test_the_merge_and_its_polls_equal_every_delta_merged_apart(
    sort_below: int, sent: list[tuple[int, int, int]], open_intervals: int
) -> None:
    """In any order, with late deltas re-opening sealed intervals and duplicates: the store,
    a client that polled after every delta, and one full snapshot all equal RunMetrics; so
    does a store that keeps whole-run figures only (a late delta for an interval it dropped
    opens it afresh)."""
    with pytest.MonkeyPatch.context() as patch:  # how a fold sums: either way, the same
        patch.setattr(merged_module, "_SORT_BELOW", sort_below)
        _merge_and_poll(sent, open_intervals)


def _merge_and_poll(sent: list[tuple[int, int, int]], open_intervals: int) -> None:
    store = MergedIntervals(open_intervals=open_intervals)
    whole_only = MergedIntervals(open_intervals=open_intervals, keep_intervals=False)
    reference, followed = RunMetrics(), RunMetrics()
    version = 0
    for source, interval, seed in sent:
        delta = _delta(f"a{source}", interval, seed)
        assert whole_only.ingest(delta) is store.ingest(delta) is reference.ingest(delta)
        version = _pull(store, followed, version)
        got, want = whole_only.histogram("lat.submit"), store.histogram("lat.submit")
        assert _counts(got) == _counts(want)  # mid-run too, open intervals and all
    store.seal_all()
    whole_only.seal_all()
    assert whole_only.sealed_count == 0 and whole_only.open_count == 0
    with pytest.raises(ValueError, match="whole-run figures only"):
        whole_only.merged_bytes(sent[0][1])
    snapshot = RunMetrics()
    _pull(store, snapshot, 0)
    for got in (store, whole_only, followed, snapshot):
        _same(got, reference)
    for got in (followed, snapshot):
        _windows_same(got, reference)
        assert got.quantiles_s("lat.submit", None, QS) == reference.quantiles_s(
            "lat.submit", None, QS
        )
    store.close()


def test_a_delta_seen_twice_counts_once_and_changes_no_version() -> None:
    store = MergedIntervals()
    first = _delta("a1", 0, seed=1)
    assert store.ingest(first) is True
    version = store.version
    assert store.ingest(IntervalDelta.from_bytes(first.to_bytes())) is False
    assert store.ingest(_delta("a1", 0, seed=2)) is False  # same source and interval
    assert (store.version, store.count("n.intent")) == (version, 20)
    assert store.ingest(_delta("a2", 0, seed=2)) is True  # another source, same interval
    assert store.count("n.intent") == 40


def test_a_source_may_skip_intervals_and_fill_them_later_but_never_twice() -> None:
    store = MergedIntervals(open_intervals=1)
    for interval in (0, 1, 5, 3, 2, 4):  # gaps, then the missing ones, late and sealed
        assert store.ingest(_delta("a1", interval, seed=interval)) is True
    for interval in range(6):
        assert store.ingest(_delta("a1", interval, seed=9)) is False
    assert store.count("n.intent") == 6 * 20 and store.intervals == range(6)


def test_a_bad_delta_changes_nothing() -> None:
    store = MergedIntervals()
    good = _delta("a1", 0, seed=1)
    bad_blob = HistogramDelta(MetricKey("lat.submit", ()), "not base64!", 1)
    bad = IntervalDelta("a1", 0, (*good.histograms, bad_blob), good.counters, good.gauges)
    with pytest.raises(DeltaDecodeError) as err:
        store.ingest(bad)
    assert err.value.field == "histograms[4].blob"
    assert (store.version, store.count("lat.submit"), store.changed_since(0)) == (0, 0, [])
    assert store.ingest(good) is True  # the refusal did not mark (a1, 0) as seen
    with pytest.raises(MetricKindError):
        store.ingest(IntervalDelta("a2", 0, counters=((MetricKey("lat.submit", ()), 1),)))
    assert store.ingest(IntervalDelta("a2", 0)) is True


def _undecodable(good: str) -> str:
    """A blob whose envelope and shape are right but whose counters overrun the array."""
    data = binascii.a2b_base64(good)
    payload = bytearray(zlib.decompress(data[8:])[:payload_header_size])
    varints = b"\x02" * 30_000  # 30,000 counters of 1: more than the histogram has
    struct.pack_into(">I", payload, 4, len(varints))
    packed = zlib.compress(bytes(payload) + varints)
    wrapped = data[:4] + struct.pack(">I", len(packed)) + packed
    return binascii.b2a_base64(wrapped, newline=False).decode("ascii")


def test_a_delta_whose_counters_do_not_decode_is_taken_back_whole() -> None:
    """Blobs are decoded once, as they merge: the ones merged before the bad one come out."""
    store, reference = MergedIntervals(), RunMetrics()
    first = _delta("a1", 0, seed=1)
    store.ingest(first)
    reference.ingest(first)
    good = _delta("a2", 0, seed=2)
    bad_blob = HistogramDelta(good.histograms[0].key, _undecodable(good.histograms[0].blob), 1)
    extra = HistogramDelta(
        MetricKey("lat.query", (("endpoint", "balance"),)), good.histograms[1].blob, 1
    )
    bad = IntervalDelta("a2", 0, (*good.histograms[1:], extra, bad_blob), good.counters)
    for target in (store, reference):
        with pytest.raises(DeltaDecodeError, match="do not decode") as err:
            target.ingest(bad)
        assert err.value.field == "histograms[4].blob"
    assert store.version == 1 and store.keys() == reference.keys()
    _same(store, reference)
    assert IntervalDelta.from_bytes(store.merged_bytes(0)).histograms == store.merged(0).histograms
    assert store.ingest(good) and reference.ingest(good)  # (a2, 0) was not marked seen
    _same(store, reference)
    with pytest.raises(DeltaDecodeError):
        store.ingest(IntervalDelta("a3", 7, (bad_blob,)))
    assert store.changed_since(0) == [0] and store.intervals == range(1)


def test_changed_since_lists_only_what_changed_after_a_version() -> None:
    store = MergedIntervals(open_intervals=2)
    for interval in range(5):
        store.ingest(_delta("a1", interval, seed=interval))
    assert store.changed_since(0) == [0, 1, 2, 3, 4]
    mark = store.version
    assert store.changed_since(mark) == []
    store.ingest(_delta("a2", 4, seed=7))
    store.ingest(_delta("a2", 0, seed=8))  # late: re-opens sealed interval 0
    assert store.changed_since(mark) == [0, 4]
    assert store.changed_since(mark + 1) == [0]
    assert store.changed_since(store.version + 5) == [0, 1, 2, 3, 4]  # not ours: start over
    merged = store.merged(0)
    assert merged.source == MERGED_SOURCE and merged.interval == 0
    assert [h.count for h in merged.histograms] == [40] * 4  # both sources, a blob a series


def test_a_merged_interval_holds_one_blob_per_series_however_many_sources() -> None:
    store = MergedIntervals()
    for source in range(30):
        store.ingest(_delta(f"a{source}", 0, seed=source))
    merged = store.merged(0)
    assert len(merged.histograms) == 4  # lat and svc, two actions
    assert dict(merged.counters)[MetricKey("n.intent", (("action", "send_ax"),))] == 600
    assert len(merged.gauges) == 30  # a gauge per worker: the worker label tells them apart
    assert {g.key.label_dict()["worker"] for g in merged.gauges} == {f"a{i}" for i in range(30)}


def _traced(feed: list[IntervalDelta], store: MergedIntervals) -> int:
    tracemalloc.start()
    try:
        gc.collect()  # a full collection empties the free lists, which tracemalloc counts
        before = tracemalloc.get_traced_memory()[0]
        for delta in feed:
            store.ingest(delta)
        for interval in store.changed_since(0):
            store.merged_bytes(interval)  # adds whatever still waits
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_more_deltas_of_the_same_intervals() -> None:
    """4x the sources into the same 3 intervals (values of the same range): the merge stays
    one histogram per series and interval; what grows is its seen ranges, per source."""

    def feed(sources: int) -> list[IntervalDelta]:
        return [
            _delta(f"a{s}", i, seed=s % 20 * 10 + i, gauge=False)  # a gauge is per worker
            for i in range(3)
            for s in range(sources)
        ]

    few, many = feed(20), feed(80)
    more_blobs = sum(len(h.blob) for d in many for h in d.histograms)
    more_blobs -= sum(len(h.blob) for d in few for h in d.histograms)
    used_few, used_many = _traced(few, MergedIntervals()), _traced(many, MergedIntervals())
    assert used_many - used_few < more_blobs / 4  # 60 more sources, 180 more deltas


def test_memory_does_not_grow_with_sealed_intervals() -> None:
    """Intervals older than the open window live in the spill file: 4x the intervals cost an
    index entry each in memory."""
    long = [_delta("a1", i, seed=i % 50) for i in range(200)]
    store = MergedIntervals(open_intervals=3)
    used_short = _traced(long[:50], MergedIntervals(open_intervals=3))
    used_long = _traced(long, store)
    assert store.open_count == 3 and store.sealed_count == 197
    assert used_long - used_short < 150 * 400  # an index entry each, the merge on disk
    store.close()


def test_a_scrape_reads_the_merge() -> None:
    store = MergedIntervals()
    for source in range(3):
        store.ingest(_delta(f"a{source}", 0, seed=source))
    page = PrometheusExporter(store).render().decode()
    assert 'testbots_intents_total{action="send_ax"} 60.0' in page
    assert (
        'testbots_latency_seconds_count{action="send_ax",chain="alpha",outcome="ok",'
        'phase="submit"} 60.0' in page
    )


def test_sealed_records_round_trip_and_close_drops_the_file() -> None:
    sealed = SealedIntervals()
    sealed.put(3, b"three")
    sealed.put(1, b"one")
    sealed.put(3, b"three again")  # a re-sealed interval: appended, the index moves
    assert (sealed.get(1), sealed.get(3), len(sealed)) == (b"one", b"three again", 2)
    assert sealed.pop(1) == b"one" and 1 not in sealed
    sealed.close()
    assert len(sealed) == 0 and sealed.file_bytes == 0


def test_put_interval_replaces_what_an_earlier_put_gave() -> None:
    store, reference, client = MergedIntervals(), RunMetrics(), RunMetrics()
    for source in range(3):
        delta = _delta(f"a{source}", 0, seed=source)
        store.ingest(delta)
        reference.ingest(delta)
        client.put_interval(store.merged(0))
        assert client.histogram("lat.submit").get_total_count() == 20 * 2 * (source + 1)
    own = _delta("local", 0, seed=99)  # what the caller records itself stays beside it
    client.ingest(own)
    reference.ingest(own)
    _same(client, reference)
    with pytest.raises(ValueError, match="ingested as a delta"):
        client.put_interval(IntervalDelta("local", 0))
