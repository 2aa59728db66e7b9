"""A counter's examples (tx hashes): bounded where recorded, on the wire, in every merge."""

import orjson
import pytest

from botruntime.metrics import (
    MAX_EXAMPLES,
    DeltaDecodeError,
    IntervalDelta,
    MergedIntervals,
    MetricKey,
    Recorder,
    RunMetrics,
)

LOST = MetricKey("n.lost", (("action", "send_ax"),))


def _lost(source: str, interval: int, *hashes: str) -> IntervalDelta:
    rec = Recorder(source)
    counter = rec.counter("n.lost", action="send_ax")
    for h in hashes:
        counter.add(example=h)
    return rec.flush(interval)


def test_a_counter_keeps_its_first_examples_each_interval_and_counts_them_all() -> None:
    rec = Recorder("w1")
    counter = rec.counter("n.lost", action="send_ax")
    for i in range(10):
        counter.add(example=f"h{i}")
    counter.add(2)  # no example: counted all the same
    first = rec.flush(0)
    assert first.counters == ((LOST, 12),)
    assert first.examples == ((LOST, ("h0", "h1", "h2")),)
    counter.add(example="h10")
    assert rec.flush(1).examples == ((LOST, ("h10",)),)
    assert rec.flush(2).empty


def test_examples_round_trip_and_a_version_1_delta_still_reads() -> None:
    delta = _lost("w1", 0, "aa", "bb")
    assert IntervalDelta.from_bytes(delta.to_bytes()) == delta
    v1 = b'{"v":1,"source":"w","interval":0,"histograms":[],"counters":[],"gauges":[]}'
    assert IntervalDelta.from_bytes(v1).examples == ()


def test_a_newer_version_with_fields_this_one_lacks_is_refused_by_its_version() -> None:
    wire = orjson.loads(_lost("w1", 0, "a").to_bytes())
    with pytest.raises(DeltaDecodeError) as err:
        IntervalDelta.from_bytes(orjson.dumps({**wire, "v": 3, "traces": []}))
    assert err.value.field == "v" and "run the same testbots version" in str(err.value)


@pytest.mark.parametrize(
    ("items", "v"),
    [(["a", "b", "c", "d"], 2), (["x" * 200], 2), (["a"], 1)],
    ids=["too_many", "too_long", "in_version_1"],
)
def test_unbounded_examples_are_refused_naming_the_field(items: list[str], v: int) -> None:
    wire = orjson.loads(_lost("w1", 0, "a").to_bytes())
    wire["v"] = v
    wire["examples"][0]["items"] = items
    with pytest.raises(DeltaDecodeError) as err:
        IntervalDelta.from_bytes(orjson.dumps(wire))
    assert err.value.field.startswith("examples")
    assert MAX_EXAMPLES == 3


def test_run_metrics_give_the_first_examples_of_each_series_in_interval_order() -> None:
    run = RunMetrics()
    run.ingest(_lost("w2", 1, "c", "d"))
    run.ingest(_lost("w1", 0, "a"))
    run.ingest(_lost("w1", 1, "b", "a"))
    assert run.examples("n.lost") == {LOST: ("a", "b", "c")}
    assert run.examples("n.lost", {"action": "swap"}) == {}
    assert run.examples("n.lost", limit=1) == {LOST: ("a",)}


def test_the_coordinators_merge_keeps_examples_bounded_through_seal_and_late_deltas() -> None:
    merged = MergedIntervals(open_intervals=1)
    merged.ingest(_lost("w1", 0, "a", "b"))
    merged.ingest(_lost("w2", 0, "b", "c"))
    merged.ingest(_lost("w1", 1))  # seals interval 0
    assert merged.sealed_count == 1
    merged.ingest(_lost("w3", 0, "d"))  # late: re-opens 0 from its record; already full
    assert merged.merged(0).examples == ((LOST, ("a", "b", "c")),)
    assert merged.merged(0).counters == ((LOST, 5),)

    client = RunMetrics()
    for interval in merged.intervals:
        client.put_interval(IntervalDelta.from_bytes(merged.merged_bytes(interval)))
    assert client.examples("n.lost") == {LOST: ("a", "b", "c")}
    client.put_interval(IntervalDelta("merged", 0))  # a newer merge replaces the interval's
    assert client.examples("n.lost") == {}
