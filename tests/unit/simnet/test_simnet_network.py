"""The state machine without HTTP: admission, blocks, gossip, invariants, export/import."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from botruntime.chain.tx import bank_multisend
from simnet import GenesisAccount, Rejected, SimnetError, Throttled
from simnet.bridge import ESCROW


def submit(bench: Any, wire: Any, node: int = 0, chain: str = "alpha") -> tuple[str, str]:
    c = bench.network.chains[chain]
    entry, status = c.submit(c.nodes[node], wire, bench.clock())
    return entry.hash, status


def code_of(bench: Any, wire: Any, node: int = 0, chain: str = "alpha") -> str:
    with pytest.raises(SimnetError) as caught:
        submit(bench, wire, node, chain)
    return caught.value.code


def all_ok(bench: Any) -> list[str]:
    for inv in bench.network.invariants.values():
        inv.full()
        inv.determinism()
    return [
        f"{name}:{v.route}: {v.detail}"
        for name, inv in bench.network.invariants.items()
        for v in inv.report()
        if not v.ok
    ]


def test_a_transfer_commits_on_the_next_block_and_pays_its_fee(bench: Any) -> None:
    tx_hash, status = submit(bench, bench.tx(0, 0, amount=2_000_000, fee=7_000))
    [alpha, delta] = bench.network.step(1)
    ledger = bench.alpha.ledger
    assert status == "pending" and alpha.block.txs == (tx_hash,) and delta.block.txs == ()
    assert ledger.balance(bench.ids[1].alpha_address, "AX") == 10**12 + 2_000_000
    assert ledger.balance(bench.ids[0].alpha_address, "AX") == 10**12 - 2_000_000 - 7_000
    assert ledger.modules["fee_collector"] == {"AX": 7_000}
    assert bench.alpha.tx_status(bench.alpha.nodes[3], tx_hash) == ("committed", {"height": 1})
    assert all_ok(bench) == []


def test_a_new_account_costs_the_creation_fee_and_dust_is_refused(bench: Any) -> None:
    newcomer = 3  # never funded
    submit(bench, bench.tx(0, 0, to=newcomer, amount=5_000))
    bench.network.step(1)
    paid = 10**12 - bench.alpha.ledger.balance(bench.ids[0].alpha_address, "AX")
    assert paid == 5_000 + 5_000 + bench.network.params.account_creation_fee
    assert code_of(bench, bench.tx(0, 1, amount=999)) == "below_dust_limit"


def test_gossip_reaches_other_nodes_after_the_delay_only(bench: Any) -> None:
    tx_hash, _ = submit(bench, bench.tx(0, 0), node=1)
    nodes = bench.alpha.nodes
    assert [tx_hash in n.mempool for n in nodes] == [False, True, False, False]
    bench.clock.now += bench.network.params.gossip_delay_s / 2
    bench.network.pump()
    assert [tx_hash in n.mempool for n in nodes] == [False, True, False, False]
    bench.clock.now += bench.network.params.gossip_delay_s
    bench.network.pump()
    assert [tx_hash in n.mempool for n in nodes] == [True, True, True, True]
    assert code_of(bench, bench.tx(0, 0), node=2) == "duplicate_tx"


def test_a_gossiped_copy_meets_each_nodes_own_pending_txs(bench: Any) -> None:
    """What differs per node is checked per node: the nonce's room and the balance left by
    the txs that node holds (here a rival nonce 0 spending nearly all, held by three nodes)."""
    balance = bench.alpha.ledger.balance(bench.ids[0].alpha_address, "AX")
    big, _ = submit(bench, bench.tx(0, 0, to=2, amount=balance - 10**6), node=2)
    small = [submit(bench, bench.tx(0, nonce), node=0)[0] for nonce in (0, 1)]
    bench.clock.now += bench.network.params.gossip_delay_s
    assert bench.alpha.deliver_gossip(bench.clock()) == 2  # the rival, onto nodes 1 and 3
    held = [set(node.mempool.entries) for node in bench.alpha.nodes]
    assert held == [set(small), {big}, {big}, {big}]
    # the small nonce 1 is refused where the rival is pending: too little is left to pay it
    costs = bench.alpha.nodes[1].mempool.spent_by(bench.ids[0].alpha_address)
    assert costs["AX"] + 10**6 + 5_000 > balance
    assert all_ok(bench) == []


def test_multisend_pays_every_output(bench: Any) -> None:
    outputs = [
        (bench.ids[1].alpha_address, "AX", 10**6),
        (bench.ids[2].alpha_address, "AX", 2 * 10**6),
    ]
    submit(bench, bench.tx(0, 0, msgs=(bank_multisend(outputs),)))
    bench.network.step(1)
    ledger = bench.alpha.ledger
    assert ledger.balance(bench.ids[1].alpha_address, "AX") == 10**12 + 10**6
    assert ledger.balance(bench.ids[2].alpha_address, "AX") == 10**12 + 2 * 10**6
    assert all_ok(bench) == []


def test_both_chains_hold_their_own_denoms(bench: Any) -> None:
    submit(bench, bench.tx(0, 0, chain="delta"), chain="delta")
    assert code_of(bench, bench.tx(0, 0, denom="DX")) == "unknown_denom"
    assert code_of(bench, bench.tx(0, 0, chain="delta"), chain="alpha") == "wrong_chain"
    bench.network.step(1)
    assert bench.delta.ledger.balance(bench.ids[1].delta_address, "DX") == 10**12 + 10**6
    assert bench.alpha.ledger.balance(bench.ids[1].alpha_address, "AX") == 10**12


def test_execution_rechecks_what_admission_saw(bench: Any) -> None:
    """Two nodes admit conflicting nonce-0 txs; the block takes one, the other fails."""
    first, _ = submit(bench, bench.tx(0, 0, to=1), node=0)
    second, _ = submit(bench, bench.tx(0, 0, to=2), node=1)
    bench.network.step(3)
    statuses = {bench.alpha.tx_status(bench.alpha.nodes[0], h)[0] for h in (first, second)}
    assert statuses == {"committed", "failed"}
    assert bench.alpha.ledger.nonce(bench.ids[0].alpha_address) == 1
    assert all_ok(bench) == []


def test_a_lagging_node_reads_the_past(bench: Any) -> None:
    submit(bench, bench.tx(0, 0))
    bench.network.step(1)
    submit(bench, bench.tx(0, 1))
    bench.network.step(3)
    node = bench.alpha.nodes[2]
    node.lag_blocks = 3
    served = bench.alpha.served_height(node)
    assert served == 1
    assert bench.alpha.ledger.view(bench.ids[0].alpha_address, served).nonce == 1
    assert bench.alpha.ledger.view(bench.ids[0].alpha_address).nonce == 2


def test_export_import_keeps_the_state_hash(bench: Any) -> None:
    for nonce in range(3):
        submit(bench, bench.tx(0, nonce))
    bench.network.step(2)
    before = bench.network.state_hash()
    exported = orjson.loads(orjson.dumps(bench.network.export()))
    bench.network.reset("other", [])
    assert bench.network.state_hash() != before
    bench.network.import_(exported)
    assert bench.network.state_hash() == before
    assert bench.alpha.ledger.nonce(bench.ids[0].alpha_address) == 3
    assert code_of(bench, bench.tx(0, 0)) == "duplicate_tx"  # the tx index came back too


def test_a_broken_import_changes_nothing_and_says_why(bench: Any) -> None:
    with pytest.raises(Rejected) as caught:
        bench.network.import_({"version": 1, "seed": "x", "chains": {"alpha": {}, "delta": {}}})
    assert caught.value.code == "malformed"


def test_the_faucet_credits_in_the_next_block_within_its_quota(bench: Any) -> None:
    address = bench.ids[3].alpha_address
    quota = bench.network.params.faucet_quota
    tx_hash = bench.network.faucet(bench.alpha, address, "AX", str(quota))
    with pytest.raises(Throttled) as caught:
        bench.network.faucet(bench.alpha, address, "AX", "1")
    bench.network.step(1)
    assert caught.value.code == "quota_exceeded"
    assert bench.alpha.ledger.balance(address, "AX") == quota
    assert bench.alpha.tx_status(bench.alpha.nodes[0], tx_hash)[0] == "committed"
    assert all_ok(bench) == []


def test_reset_funds_the_twin_address_on_each_chain(bench: Any) -> None:
    me = bench.ids[0]
    assert bench.alpha.ledger.balance(me.alpha_address, "AX") == 10**12
    assert bench.delta.ledger.balance(me.delta_address, "DX") == 10**12
    assert bench.delta.ledger.balance(me.delta_address, "AX") == 0


def test_genesis_vouchers_are_backed_by_escrowed_ax(bench: Any) -> None:
    """bAX given at genesis (a DEX scenario's bots hold some) is backed like bridged bAX: the
    genesis escrows as much AX on Alpha, so bridge/escrow-backing holds from height 0."""
    me = bench.ids[0]
    bench.network.reset("unit", [GenesisAccount(me.alpha_address, {"bAX": 5_000, "AX": 7})])
    assert bench.network.chains["delta"].ledger.balance(me.delta_address, "bAX") == 5_000
    assert bench.network.chains["alpha"].ledger.modules[ESCROW] == {"AX": 5_000}
    assert all_ok(bench) == []
