"""Blocks keep each tx as its JSON bytes: reads give back the tx as submitted, compactly."""

from __future__ import annotations

import tracemalloc
from typing import Any

import orjson

from simnet._blocks import decode_body, encode_body


def test_a_committed_tx_reads_back_as_submitted(bench: Any) -> None:
    wire = bench.tx(0, 0)
    chain = bench.alpha
    chain.submit(chain.nodes[0], wire, bench.clock())
    [alpha, _] = bench.network.step(1)
    block = alpha.block
    assert block.body(0) == wire
    assert block.bodies[0] == orjson.dumps(wire)  # the bytes GET /blocks/{h}/txs serves
    exported = block.export()
    assert exported["bodies"] == [wire]


def test_a_body_holds_its_own_size_not_the_encoder_buffer(bench: Any) -> None:
    wire = bench.tx(0, 0)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [encode_body(wire) for _ in range(200)]
        per_body = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    finally:
        tracemalloc.stop()
    assert per_body < 2 * len(kept[0])  # orjson writes into 4 KiB and keeps it otherwise
    assert decode_body(kept[0]) == wire


def test_ints_beyond_64_bits_still_encode() -> None:
    value: dict[str, Any] = {"body": {"nonce": 2**70}}
    assert decode_body(encode_body(value)) == value
