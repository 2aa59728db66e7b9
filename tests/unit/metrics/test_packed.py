"""The packed delta (a worker's interval as the coordinator reads it): exact, checked whole."""

from __future__ import annotations

import random
import struct
import zlib

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.metrics import (
    DeltaDecodeError,
    DeltaPacker,
    DeltaUnpacker,
    IntervalDelta,
    MergedIntervals,
    Recorder,
    new_histogram,
)
from botruntime.metrics._packed import pack_body

QS = (0.5, 0.9, 0.99, 0.999, 1.0)


def _recorded(source: str, interval: int, rng: random.Random, series: int) -> IntervalDelta:
    rec = Recorder(source)
    for k in range(series):
        timer = rec.timer("submit", chain="alpha", action=f"act{k}")
        for _ in range(rng.randrange(1, 200)):
            service = rng.lognormvariate(-5.5, 1.5)  # 10 µs .. seconds: many magnitudes
            timer.record(0.0, rng.random() * 0.01, service + 0.01)
    rec.counter("n.intent", role="r").add(rng.randrange(100), example=f"tx{interval}")
    rec.gauge("gen.inflight").set(rng.random() * 10)
    return rec.flush(interval)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sources=st.integers(1, 6), series=st.integers(1, 4))
def test_packed_deltas_merge_to_what_hdrhistograms_own_add_gives(
    seed: int, sources: int, series: int
) -> None:
    rng = random.Random(seed)
    packer, unpacker, store = DeltaPacker(), DeltaUnpacker(), MergedIntervals()
    by_interval = {i: new_histogram() for i in range(3)}
    whole = new_histogram()
    intents = 0
    for interval in range(3):
        for s in range(sources):
            delta = _recorded(f"w{s}", interval, rng, series)
            assert all(h.sparse is not None for h in delta.histograms)  # packed from counters
            assert store.ingest_packed(unpacker.unpack(packer.pack(delta)))
            for h in delta.histograms:
                if h.key.name == "lat.submit":
                    decoded = type(whole).decode(h.blob)  # the blob, made from the counters
                    by_interval[interval].add(decoded)
                    whole.add(decoded)
            intents += sum(v for k, v in delta.counters if k.name == "n.intent")
    merged = store.histogram("lat.submit")
    assert merged.get_total_count() == whole.get_total_count()
    assert list(merged.counts) == list(whole.counts)  # counter for counter
    assert (merged.get_min_value(), merged.get_max_value()) == (
        whole.get_min_value(),
        whole.get_max_value(),
    )
    for q in QS:
        assert merged.get_value_at_percentile(q * 100) == whole.get_value_at_percentile(q * 100)
    for interval, reference in by_interval.items():
        got = store.merged(interval)
        lat = [h for h in got.histograms if h.key.name == "lat.submit"]
        total = sum(h.count for h in lat)
        assert total == reference.get_total_count()
    assert store.count("n.intent") == intents


def test_a_delta_packs_to_the_same_bytes_from_its_counters_as_from_its_blobs() -> None:
    """The worker packs what its recorder took; a delta that came as JSON is decoded first:
    the coordinator cannot tell them apart."""
    delta = _recorded("w0", 5, random.Random(11), 3)
    from_counters = DeltaPacker().pack(delta)
    as_blobs = IntervalDelta.from_bytes(delta.to_bytes())
    assert all(h.sparse is None for h in as_blobs.histograms)
    assert DeltaPacker().pack(as_blobs) == from_counters
    assert DeltaPacker().pack(delta) == from_counters  # its blobs made now: decoded instead


def test_a_packed_delta_keeps_counters_gauges_and_examples() -> None:
    rng = random.Random(3)
    delta = _recorded("w0", 4, rng, 2)
    got = DeltaUnpacker().unpack(DeltaPacker().pack(delta))
    assert (got.source, got.interval) == ("w0", 4)
    assert got.keys == tuple(h.key for h in delta.histograms)
    assert got.totals == tuple(h.count for h in delta.histograms)
    assert got.counters == delta.counters
    assert got.gauges == delta.gauges
    assert got.examples == delta.examples


def test_a_packed_delta_is_smaller_than_the_json_one() -> None:
    delta = _recorded("w0", 0, random.Random(5), 20)
    assert len(DeltaPacker().pack(delta)) < len(delta.to_bytes()) * 0.75


def test_one_body_resent_under_other_ids_reads_as_each() -> None:
    packed = DeltaPacker().packed(_recorded("template", 0, random.Random(1), 2))
    body = packed.body()
    unpacker = DeltaUnpacker()
    for source, interval in (("r1/a0", 7), ("r1/a1", 8)):
        got = unpacker.unpack(pack_body(source, interval, body))
        assert (got.source, got.interval, got.totals) == (source, interval, packed.totals)


def _parts(wire: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """prefix, keys JSON, head JSON, arrays of a packed delta."""
    name_len = struct.unpack_from("<H", wire, 9)[0]
    prefix, raw = wire[: 11 + name_len], zlib.decompress(wire[11 + name_len :])
    k = struct.unpack_from("<I", raw)[0]
    keys = raw[4 : 4 + k]
    h = struct.unpack_from("<I", raw, 4 + k)[0]
    head = raw[8 + k : 8 + k + h]
    return prefix, keys, head, raw[8 + k + h :]


def _wire(prefix: bytes, keys: bytes, head: bytes, arrays: bytes) -> bytes:
    body = struct.pack("<I", len(keys)) + keys + struct.pack("<I", len(head)) + head + arrays
    return prefix + zlib.compress(body)


def _good() -> bytes:
    return DeltaPacker().pack(_recorded("w0", 2, random.Random(9), 2))


def _head_with(**changes: object) -> bytes:
    prefix, keys, head, arrays = _parts(_good())
    return _wire(prefix, keys, orjson.dumps({**orjson.loads(head), **changes}), arrays)


def _index_beyond_the_shape() -> bytes:
    prefix, keys, head, arrays = _parts(_good())
    return _wire(prefix, keys, head, b"\xff\xff" + arrays[2:])


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        (orjson.dumps({"v": 2, "source": "w0"}), "magic", "same version"),
        (b"TBpk\x07" + bytes(6), "v", "packed version 7"),
        (_good()[:-9], "body", "does not decompress"),
        (_parts(_good())[0] + zlib.compress(b"\x00\x00"), "keys", "ends before"),
        (_head_with(h=[1.5, 2]), "head.h", "whole numbers"),
        (_head_with(h=[0, 3]), "head.h", ">= 1"),
        (_head_with(w=3), "head.w", "not 4 or 8"),
        (_head_with(c=[-1]), "head.c[0]", "count >= 0"),
        (_head_with(e=[["a", "b", "c", "d"]]), "head.e[0]", "at most"),
        (_head_with(h=[1]), "keys", "keys for 1 histograms"),
        (_head_with(h=[1, 1, 1, 1]), "counts", "counters need"),
        (_index_beyond_the_shape(), "index", "beyond the run's"),
    ],
)
def test_a_corrupt_or_foreign_payload_is_refused_naming_the_field(
    payload: bytes, field: str, says: str
) -> None:
    with pytest.raises(DeltaDecodeError, match=says) as caught:
        DeltaUnpacker().unpack(payload)
    assert caught.value.field == field


def test_keys_are_checked_even_when_a_decoder_has_seen_the_rest() -> None:
    prefix, _, head, arrays = _parts(_good())
    bad = orjson.dumps([["lat.submit", {"chain": 1}]] * 5)
    with pytest.raises(DeltaDecodeError, match="strings") as caught:
        DeltaUnpacker().unpack(_wire(prefix, bad, head, arrays))
    assert caught.value.field == "keys[0]"


def test_a_refused_delta_changes_nothing_in_the_store() -> None:
    store, packer = MergedIntervals(), DeltaPacker()
    good = _recorded("w0", 0, random.Random(2), 2)
    store.ingest_packed(DeltaUnpacker().unpack(packer.pack(good)))
    version = store.version
    with pytest.raises(DeltaDecodeError):
        store.ingest_packed(DeltaUnpacker().unpack(_index_beyond_the_shape()))
    assert store.version == version
    assert store.count("lat.submit") == sum(
        h.count for h in good.histograms if h.key.name == "lat.submit"
    )
