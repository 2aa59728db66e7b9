"""Deltas from many workers, sent over the wire and merged, equal one histogram of everything."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.metrics import (
    DeltaDecodeError,
    IntervalDelta,
    Recorder,
    RunMetrics,
    new_histogram,
)
from botruntime.metrics._delta import HistogramDelta
from botruntime.metrics._keys import MetricKey

QS = (0.5, 0.9, 0.95, 0.99, 0.999, 1.0)

samples = st.lists(
    st.tuples(
        st.integers(0, 7),  # worker
        st.integers(0, 4),  # interval
        st.integers(1, 3_600_000_000),  # latency in µs
    ),
    min_size=1,
    max_size=400,
)


@settings(max_examples=40, deadline=None)
@given(samples)
def test_merged_deltas_equal_one_histogram_of_all_values(
    events: list[tuple[int, int, int]],
) -> None:
    recorders = {w: Recorder(f"w{w}") for w in range(8)}
    reference = new_histogram()
    values = []
    wire: list[bytes] = []
    for interval in range(5):
        for worker, at, us in events:
            if at == interval:
                recorders[worker].histogram("lat.submit", action="send_ax").record_us(us)
                reference.record_value(us)
                values.append(us)
        wire += [r.flush(interval).to_bytes() for r in recorders.values()]

    merged = RunMetrics()
    for blob in reversed(wire):  # arrival order does not matter
        assert merged.ingest(IntervalDelta.from_bytes(blob))

    assert merged.count("lat.submit") == len(values) == reference.get_total_count()
    got = merged.quantiles_s("lat.submit", {"action": "send_ax"}, QS)
    want = reference.get_percentile_to_value_dict([q * 100 for q in QS])
    values.sort()
    for q in QS:
        assert got[q] == want[q * 100] / 1e6  # same counts, so the very same answer
        exact = values[max(int(q * len(values) + 0.5), 1) - 1]  # HDR's rank rule
        assert exact <= round(got[q] * 1e6) <= exact * 1.001 + 1  # within 3 significant digits


def test_a_delta_sent_twice_is_merged_once() -> None:
    rec = Recorder("w1")
    rec.counter("n.intent", action="send_ax").add(3)
    delta = rec.flush(0)
    run = RunMetrics()
    assert run.ingest(delta) is True
    assert run.ingest(IntervalDelta.from_bytes(delta.to_bytes())) is False
    assert run.count("n.intent") == 3


def test_a_malformed_delta_names_its_field() -> None:
    with pytest.raises(DeltaDecodeError) as err:
        IntervalDelta.from_bytes(
            b'{"v":1,"source":"w","interval":"x","histograms":[],"counters":[],"gauges":[]}'
        )
    assert err.value.field == "interval"
    with pytest.raises(DeltaDecodeError) as err:
        IntervalDelta.from_bytes(
            b'{"v":9,"source":"w","interval":0,"histograms":[],"counters":[],"gauges":[]}'
        )
    assert err.value.field == "v"


def test_a_histogram_of_another_shape_is_refused_and_changes_nothing() -> None:
    from hdrh.histogram import HdrHistogram

    other = HdrHistogram(1, 60_000_000, 2)
    other.record_value(5)
    good = new_histogram()
    good.record_value(5)
    key = MetricKey("lat.submit", ())
    delta = IntervalDelta(
        "w1",
        0,
        (
            HistogramDelta(key, good.encode().decode("ascii"), 1),
            HistogramDelta(key, other.encode().decode("ascii"), 1),
        ),
    )
    run = RunMetrics()
    with pytest.raises(DeltaDecodeError) as err:
        run.ingest(delta)
    assert err.value.field == "histograms[1].blob"
    assert run.count("lat.submit") == 0
    assert run.ingest(IntervalDelta("w1", 0)) is True  # the refused delta was not marked seen
