"""`record_into` is HdrHistogram's `record_value` for the run's one shape, only cheaper."""

from __future__ import annotations

import random

from botruntime.metrics._hdr import HIGHEST_US, counts_index, new_histogram, record_into


def _values() -> list[int]:
    edges = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, HIGHEST_US - 1, HIGHEST_US]
    powers = [v for p in range(1, 32) for v in ((1 << p) - 1, 1 << p, (1 << p) + 1)]
    rng = random.Random(7)
    spread = [int(10 ** rng.uniform(0, 9.55)) for _ in range(20_000)]
    return [v for v in edges + powers + spread if 0 <= v <= HIGHEST_US]


def test_counts_index_is_hdrhistograms_own() -> None:
    hist = new_histogram()
    for value in _values():
        assert counts_index(value) == hist._counts_index_for(value), value


def test_record_into_leaves_the_histogram_as_record_value_does() -> None:
    ours, theirs = new_histogram(), new_histogram()
    for value in _values():
        record_into(ours, value)
        assert theirs.record_value(value)
    assert ours.get_total_count() == theirs.get_total_count()
    assert (ours.min_value, ours.max_value) == (theirs.min_value, theirs.max_value)
    assert list(ours.counts) == list(theirs.counts)
    assert ours.encode() == theirs.encode()
    assert ours.get_value_at_percentile(99.0) == theirs.get_value_at_percentile(99.0)
