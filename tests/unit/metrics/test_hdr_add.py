"""BlobAdder leaves a histogram exactly as HdrHistogram.decode + add would, only cheaper."""

from __future__ import annotations

import ctypes

import pytest
from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.metrics import DeltaDecodeError, new_histogram
from botruntime.metrics._hdr_add import BlobAdder

values = st.lists(st.integers(0, 3_600_000_000), max_size=60)


def _state(hist: HdrHistogram) -> tuple[bytes, int, int, int, int, int]:
    counts = ctypes.string_at(ctypes.addressof(hist.counts), hist.counts_len * 8)
    return (
        counts,
        hist.total_count,
        hist.min_value,
        hist.max_value,
        hist.get_min_value(),
        hist.get_max_value(),
    )


def _blob(vals: list[int]) -> str:
    hist = new_histogram()
    for v in vals:
        hist.record_value(v)
    return hist.encode().decode("ascii")


@settings(max_examples=60, deadline=None)
@given(st.lists(values, min_size=1, max_size=6))
def test_adding_blobs_equals_decode_and_add(batches: list[list[int]]) -> None:
    naive, fast, adder = new_histogram(), new_histogram(), BlobAdder()
    for i, vals in enumerate(batches):
        blob = _blob(vals)
        naive.add(HdrHistogram.decode(blob))
        adder.add_blob(blob, fast, field=f"blob {i}")
        assert _state(fast) == _state(naive)
    assert fast.encode() == naive.encode()


def test_a_checked_blob_is_added_after_others_were_decoded() -> None:
    adder, into = BlobAdder(), new_histogram()
    first = adder.check(_blob([5, 5, 900]), field="a")
    second = adder.check(_blob([7]), field="b")  # reuses the scratch array
    adder.add(first, into)
    adder.add(second, into)
    assert (into.get_total_count(), into.get_max_value()) == (4, 900)
    assert into.get_count_at_value(5) == 2


@pytest.mark.parametrize(
    ("blob", "says"),
    [
        ("not base64!", "not an encoded HDR histogram"),
        ("AAAA", "not an encoded HDR histogram"),
        (HdrHistogram(1, 60_000_000, 2).encode().decode("ascii"), "differs from the run's"),
    ],
)
def test_a_bad_blob_is_refused_naming_its_field(blob: str, says: str) -> None:
    with pytest.raises(DeltaDecodeError, match=says) as err:
        BlobAdder().check(blob, field="histograms[3].blob")
    assert err.value.field == "histograms[3].blob"
