"""The double-spend race on one in-memory network: a conflict set sent to four nodes at once
commits one tx, and every loser leaves every mempool after the winner's block (the recheck
re-checks what the sender can still pay), or is refused at once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simnet import Params, SimnetError

FUNDS = 10**12
FEE = 5_000


def admit(bench: Any, wire: Any, node: int) -> str:
    chain = bench.alpha
    try:
        return str(chain.submit(chain.nodes[node], wire, bench.clock())[1])
    except SimnetError as exc:
        return exc.code


def test_the_losers_of_a_conflict_set_leave_every_mempool_with_the_winners_block(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(), accounts=6)
    everything = FUNDS - FEE
    overdraw = FUNDS * 6 // 10
    wires = [
        bench.tx(0, 0, to=1, amount=everything),
        bench.tx(0, 0, to=2, amount=everything),
        bench.tx(0, 1, to=3, amount=overdraw),
        bench.tx(0, 2, to=4, amount=overdraw),
    ]
    answers = [admit(bench, wire, node) for node, wire in enumerate(wires)]
    assert answers == ["pending", "pending", "queued_future", "queued_future"]
    hashes = [bench.alpha.decode(w).hash for w in wires]
    [alpha, _] = bench.network.step(1)
    committed = [h for h in hashes if h in alpha.block.txs]
    assert len(committed) == 1 and committed[0] in hashes[:2]
    for node in bench.alpha.nodes:
        for loser in set(hashes) - set(committed):
            status, _ = bench.alpha.tx_status(node, loser)
            assert status == "failed", (node.node_id, loser, status)
        assert len(node.mempool) == 0
    assert bench.alpha.ledger.balance(bench.ids[0].alpha_address, "AX") == 0


def test_a_ready_tx_the_sender_can_no_longer_pay_leaves_with_its_successors(
    bench_factory: Callable[..., Any],
) -> None:
    bench = bench_factory(Params(), accounts=4)
    half = FUNDS // 2
    # node 0 holds a payment of half the balance and its successor; node 1 a conflicting
    # spend of everything at the same nonce, which the next block (node 1 proposes) takes
    mine = [bench.tx(0, 0, to=1, amount=half), bench.tx(0, 1, to=1, amount=10**6)]
    assert [admit(bench, w, 0) for w in mine] == ["pending", "pending"]
    assert admit(bench, bench.tx(0, 0, to=2, amount=FUNDS - FEE), 1) == "pending"
    chain = bench.alpha
    bench.network.step(1)
    for wire in mine:
        tx_hash = chain.decode(wire).hash
        assert chain.tx_status(chain.nodes[0], tx_hash)[0] == "failed"
    assert len(chain.nodes[0].mempool) == 0


@pytest.mark.parametrize(
    ("amount", "answer"), [(10**6, "queued_future"), (FUNDS, "insufficient_funds")]
)
def test_a_future_tx_is_queued_only_when_it_alone_is_payable(
    bench: Any, amount: int, answer: str
) -> None:
    assert admit(bench, bench.tx(0, 3, amount=amount), 0) == answer
