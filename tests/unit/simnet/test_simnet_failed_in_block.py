"""A tx that passes its ante checks but whose messages fail stays in its block (Cosmos
DeliverTx): its fee is charged, its nonce is spent, its messages change nothing, and the
sender's following nonces run in the same block. A tx failing the ante checks is dropped."""

from __future__ import annotations

from typing import Any

import orjson

from simnet._blocks import block_hash

FUNDS = 10**12
FEE = 5_000


def admit(bench: Any, wire: Any, node: int) -> tuple[str, str]:
    chain = bench.alpha
    entry, status = chain.submit(chain.nodes[node], wire, bench.clock())
    return entry.hash, status


def broken(bench: Any) -> list[str]:
    for inv in bench.network.invariants.values():
        inv.full()
        inv.determinism()
    return [
        f"{name}:{v.route}: {v.detail}"
        for name, inv in bench.network.invariants.items()
        for v in inv.report()
        if not v.ok
    ]


def overdraw(bench: Any) -> tuple[str, str, str]:
    """Nonces 0 and 1 each spend 60 % of the balance, sent to two nodes (1 only queues it:
    its nonce is ahead there, so admission cannot count nonce 0 against it); nonce 2 is small."""
    share = FUNDS * 6 // 10
    first, _ = admit(bench, bench.tx(0, 0, to=1, amount=share), node=0)
    second, status = admit(bench, bench.tx(0, 1, to=2, amount=share), node=1)
    assert status == "queued_future"
    third, _ = admit(bench, bench.tx(0, 2, to=1, amount=10**6), node=1)
    bench.network.step(1)
    return first, second, third


def test_an_overdrawing_send_is_included_with_its_code_and_pays_only_its_fee(bench: Any) -> None:
    first, second, third = overdraw(bench)
    chain, ledger = bench.alpha, bench.alpha.ledger
    me, paid, spared = (bench.ids[i].alpha_address for i in range(3))
    block = chain.blocks[1]
    assert block.txs == (first, second, third)
    assert block.codes == ("ok", "insufficient_funds", "ok")
    assert ledger.nonce(me) == 3  # the failed nonce is spent: nonce 2 did not wait
    assert ledger.balance(me, "AX") == FUNDS - FUNDS * 6 // 10 - 10**6 - 3 * FEE
    assert ledger.balance(spared, "AX") == FUNDS  # the failed send paid no one
    assert ledger.balance(paid, "AX") == FUNDS + FUNDS * 6 // 10 + 10**6
    assert ledger.modules["fee_collector"] == {"AX": 3 * FEE}
    node = chain.nodes[2]
    assert chain.tx_status(node, second) == (
        "failed",
        {"height": 1, "code": "insufficient_funds"},
    )
    assert chain.tx_status(node, third) == ("committed", {"height": 1})
    assert second not in chain.failed  # not a drop: it is in the block
    assert [h for _, _, h in chain.by_address.get(spared, [])] == []  # history: sender's only
    assert [h for _, _, h in chain.by_address[me]] == [first, second, third]
    assert all(len(n.mempool) == 0 for n in chain.nodes)
    assert broken(bench) == []


def test_a_tx_that_cannot_pay_its_fee_is_dropped_and_keeps_its_nonce_free(bench: Any) -> None:
    everything_but_the_fees = FUNDS - FEE - FEE // 2
    admit(bench, bench.tx(0, 0, to=1, amount=everything_but_the_fees), node=0)
    second, _ = admit(bench, bench.tx(0, 1, to=2, amount=10**6), node=1)
    bench.network.step(1)
    chain = bench.alpha
    assert chain.blocks[1].codes == ("ok",)
    assert chain.tx_status(chain.nodes[0], second) == ("failed", {"code": "insufficient_funds"})
    assert chain.ledger.nonce(bench.ids[0].alpha_address) == 1
    assert broken(bench) == []


def test_deliver_trusts_checktx_still_lets_the_double_spend_take_effect(
    bench_factory: Any,
) -> None:
    bench = bench_factory(vuln=("deliver_trusts_checktx",))
    overdraw(bench)
    ledger = bench.alpha.ledger
    assert bench.alpha.blocks[1].codes == ("ok", "ok", "ok")
    assert ledger.balance(bench.ids[0].alpha_address, "AX") < 0
    assert ledger.balance(bench.ids[2].alpha_address, "AX") == FUNDS + FUNDS * 6 // 10
    assert any("bank/nonnegative-balance" in b for b in broken(bench))


def test_outcomes_survive_export_and_import(bench: Any) -> None:
    first, second, _ = overdraw(bench)
    network = bench.network
    before = network.state_hash()
    network.import_(orjson.loads(orjson.dumps(network.export())))
    chain = network.chains["alpha"]
    assert network.state_hash() == before
    assert chain.tx_status(chain.nodes[0], second)[1] == {
        "height": 1,
        "code": "insufficient_funds",
    }
    assert chain.index[first].code == "ok"
    assert [h for _, _, h in chain.by_address.get(bench.ids[2].alpha_address, [])] == []


def test_an_outcome_changes_the_block_hash() -> None:
    args = ("alpha-simnet-1", 1, 10, "PREV", ("A", "B"))
    assert block_hash(*args, ("ok", "ok")) != block_hash(*args, ("ok", "insufficient_funds"))
