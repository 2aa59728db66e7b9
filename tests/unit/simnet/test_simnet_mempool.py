"""One node's mempool: fee-per-byte order, lowest-fee eviction, replacement, quotas, TTL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simnet import Params, SimnetError
from simnet._entry import Entry
from simnet._invariants import _mempool_bounds
from simnet._mempool import Mempool
from simnet._vuln import Vulns


def admit(bench: Any, wire: Any, node: int = 0) -> str:
    chain = bench.alpha
    try:
        return str(chain.submit(chain.nodes[node], wire, bench.clock())[1])
    except SimnetError as exc:
        return exc.code


def test_blocks_take_the_best_fee_per_byte_first_then_arrival(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(max_block_txs=3), accounts=6)
    hashes = {}
    for who, fee in ((0, 5_000), (1, 9_000), (2, 5_000), (3, 7_000)):
        wire = bench.tx(who, 0, fee=fee)
        hashes[who] = bench.alpha.decode(wire).hash
        assert admit(bench, wire, node=1) == "pending"
    [alpha, _] = bench.network.step(1)  # node 1 proposes height 1
    assert alpha.block.txs == (hashes[1], hashes[3], hashes[0])


def test_a_full_pool_evicts_the_lowest_fee_for_a_better_one(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(mempool_max_txs=3), accounts=6)
    cheap = bench.tx(0, 0, fee=5_000)
    assert [admit(bench, cheap), admit(bench, bench.tx(1, 0, fee=6_000))] == ["pending"] * 2
    assert admit(bench, bench.tx(2, 0, fee=6_000)) == "pending"
    assert admit(bench, bench.tx(3, 0, fee=5_000)) == "mempool_full"
    assert admit(bench, bench.tx(3, 0, fee=8_000)) == "pending"
    cheap_hash = bench.alpha.decode(cheap).hash
    assert bench.alpha.tx_status(bench.alpha.nodes[0], cheap_hash) == (
        "failed",
        {"code": "mempool_full"},
    )


def test_a_pending_nonce_is_replaced_only_by_a_fee_bump(bench: Any) -> None:
    first = bench.tx(0, 0, fee=5_000)
    assert admit(bench, first) == "pending"
    assert admit(bench, bench.tx(0, 0, to=2, fee=5_400)) == "bad_nonce"
    assert admit(bench, bench.tx(0, 0, to=2, fee=5_600)) == "pending"
    assert bench.alpha.nodes[0].mempool.status(bench.alpha.decode(first).hash) is None


def test_pipelined_nonces_queue_up_to_the_sender_cap(bench: Any) -> None:
    codes = [admit(bench, bench.tx(0, nonce)) for nonce in range(33)]
    assert codes[:32] == ["pending"] * 32 and codes[32] == "sender_quota"
    assert bench.alpha.nodes[0].mempool.next_nonce(bench.ids[0].alpha_address, 0) == 32


def test_the_future_window_and_a_too_low_nonce(bench: Any) -> None:
    assert admit(bench, bench.tx(0, 16)) == "queued_future"
    assert admit(bench, bench.tx(0, 17)) == "bad_nonce"
    assert admit(bench, bench.tx(0, 0)) == "pending"
    bench.network.step(1)
    assert admit(bench, bench.tx(0, 0, amount=2 * 10**6)) == "bad_nonce"


def test_funds_count_what_is_already_pending(bench: Any) -> None:
    half = 10**12 // 2
    assert admit(bench, bench.tx(0, 0, amount=half)) == "pending"
    assert admit(bench, bench.tx(0, 1, amount=half)) == "insufficient_funds"


@pytest.mark.parametrize("ttl", [3, 5])
def test_everything_leaves_after_the_ttl(bench_factory: Callable[..., Any], ttl: int) -> None:
    bench = bench_factory(Params(mempool_ttl_blocks=ttl))
    admit(bench, bench.tx(0, 5))
    bench.network.step(ttl)
    assert len(bench.alpha.nodes[0].mempool) == 1
    bench.network.step(2)
    assert len(bench.alpha.nodes[0].mempool) == 0
    assert dict(bench.alpha.evictions) == {"deadline_exceeded": 4}  # one per node


def test_the_eviction_heap_stays_within_the_pool_as_txs_commit(bench: Any) -> None:
    """The heap is lazy (a tx that leaves stays in it); it must not grow with the history."""
    for nonce in range(1_500):
        assert admit(bench, bench.tx(0, nonce % 32 + 32 * (nonce // 32))) == "pending"
        if nonce % 32 == 31:
            bench.network.step(1)
    mempool = bench.alpha.nodes[0].mempool
    assert len(mempool) <= 32
    assert mempool._low is None or len(mempool._low) <= 2 * len(mempool) + 1_001


def test_the_eviction_heap_is_built_when_the_pool_fills_and_dropped_when_it_drains(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(mempool_max_txs=4), accounts=9)
    chain = bench.alpha
    pool = chain.nodes[0].mempool
    fees = (6_000, 5_000, 7_000, 6_000, 9_000)
    for senders in ((0, 1, 2, 3, 4), (5, 6, 7, 0, 2)):
        wires = [
            bench.tx(who, chain.ledger.nonce(bench.ids[who].alpha_address), fee=fee)
            for who, fee in zip(senders, fees, strict=True)
        ]
        for wire in wires[:4]:
            assert admit(bench, wire) == "pending"
        assert pool._low is None  # not full yet: no heap kept
        assert admit(bench, wires[4]) == "pending"  # full: the cheapest per byte goes
        assert pool._low is not None
        cheapest = chain.decode(wires[1]).hash
        assert chain.tx_status(chain.nodes[0], cheapest) == ("failed", {"code": "mempool_full"})
        bench.network.step(1)
        assert len(pool) == 0 and pool._low is None  # drained: the heap is dropped


def test_committed_txs_leave_whole_queues_or_tx_by_tx() -> None:
    pool = Mempool(Params(), Vulns(), "AX")

    def put(sender: str, nonce: int) -> Entry:
        entry = Entry(f"{sender}{nonce}", f"{sender}{nonce}", {}, sender, b"", nonce, 900, 300, ())
        pool.insert(entry, *pool.place(entry, 0), height=1)
        return entry

    a = [put("a", n) for n in range(3)]
    b = [put("b", n) for n in range(2)]
    pool.remove_committed([a[0].hash, a[1].hash, b[0].hash, b[1].hash, "unknown"])
    assert list(pool.entries) == [a[2].hash] and list(pool.heights) == [a[2].hash]
    assert pool.bytes == 300 and set(pool.senders) == {"a"}
    assert pool.senders["a"].ready == {2: a[2]} and pool.senders["a"].spent == {"AX": 900}
    pool.remove_committed([a[2].hash])
    assert not pool.entries and not pool.senders and pool.bytes == 0


def test_the_bounds_invariant_names_a_committed_tx_left_pending(bench: Any) -> None:
    wire = bench.tx(0, 0)
    assert admit(bench, wire) == "pending"
    tx_hash = bench.alpha.decode(wire).hash
    assert _mempool_bounds(bench.alpha, ("F" * 64,)) is None
    problem = _mempool_bounds(bench.alpha, ("F" * 64, tx_hash))
    assert problem == f"v1: committed tx {tx_hash} still pending"
