"""A swap whose `min_out` no longer holds after a front-running swap in the same block stays
in the block with `slippage_exceeded`: the victim pays its fee and spends its nonce, the pool
and its other balances are untouched, and its next nonce runs in the same block."""

from __future__ import annotations

import copy

from delta_bench import FEE, Delta

from botruntime.chain.tx import Msg, TxBody, sign_tx
from botruntime.identity import Identity
from simnet.delta import DeltaParams, swap_out

PARAMS = DeltaParams()
X0, Y0 = 4 * 10**9, 10**9


def swap(amount: int, min_out: int) -> Msg:
    return {
        "type": "dex.swap",
        "pool": 1,
        "denom_in": "DX",
        "amount_in": str(amount),
        "min_out": str(min_out),
        "deadline_height": 0,
    }


def admit(d: Delta, who: Identity, msg: Msg, nonce: int, fee: int = FEE) -> str:
    body = TxBody(d.chain.spec.chain_id, who.delta_address, nonce, fee, (msg,), "tb:u:0:1", 0)
    entry, _ = d.chain.submit(d.chain.nodes[0], copy.deepcopy(sign_tx(who, body).to_wire()), 0.0)
    return entry.hash


def test_a_front_run_swap_fails_the_victim_in_the_same_block(delta: Delta) -> None:
    create = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
    assert delta.run(delta.traders[0], {**create, "amount_a": str(X0), "amount_b": str(Y0)}) == (
        "committed"
    )
    victim, attacker = delta.traders[1], delta.traders[2]
    amount = 10**7
    quote = swap_out(amount, X0, Y0, PARAMS.swap_fee_bps, False)
    dx, bax = delta.balance(victim, "DX"), delta.balance(victim, "bAX")
    nonce = delta.chain.ledger.nonce(victim.delta_address)
    victim_swap = admit(delta, victim, swap(amount, quote), nonce)
    next_swap = admit(delta, victim, swap(amount, 0), nonce + 1)
    front = admit(delta, attacker, swap(10**9, 0), 0, fee=10 * FEE)  # pays more: goes first
    delta.block()
    block = delta.chain.latest
    assert block.txs == (front, victim_swap, next_swap)
    assert block.codes == ("ok", "slippage_exceeded", "ok")
    assert delta.outcome(victim_swap) == "slippage_exceeded"
    got = delta.balance(victim, "bAX") - bax
    assert 0 < got < quote  # the following swap ran, at the worse price
    assert delta.balance(victim, "DX") == dx - amount - 2 * FEE  # one amount, two fees
    assert delta.chain.ledger.nonce(victim.delta_address) == nonce + 2
    pool = delta.dex.pools[1]
    assert pool.reserve_a == X0 + 10**9 + amount  # the failed swap left the pool alone
    assert delta.broken() == {}


def test_the_block_carries_what_each_swap_did_and_nothing_for_a_failed_one(delta: Delta) -> None:
    """A wallet learns a swap's output from the tx's events (coin_spent, coin_received and the
    dex.swap result); the failed swap has none, and an export keeps them."""
    create = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
    delta.run(delta.traders[0], {**create, "amount_a": str(X0), "amount_b": str(Y0)})
    victim, attacker = delta.traders[1], delta.traders[2]
    amount = 10**7
    quote = swap_out(amount, X0, Y0, PARAMS.swap_fee_bps, False)
    nonce = delta.chain.ledger.nonce(victim.delta_address)
    bax = delta.balance(attacker, "bAX")
    admit(delta, victim, swap(amount, quote), nonce)
    admit(delta, attacker, swap(10**9, 0), 0, fee=10 * FEE)
    delta.block()
    block = delta.chain.latest
    front_events, victim_events = block.events_of(0), block.events_of(1)
    out = delta.balance(attacker, "bAX") - bax
    who = attacker.delta_address
    assert front_events == [
        {"type": "coin_spent", "address": who, "denom": "DX", "amount": str(10**9)},
        {"type": "coin_received", "address": who, "denom": "bAX", "amount": str(out)},
        {
            "type": "dex.swap",
            "pool": 1,
            "denom_in": "DX",
            "amount_in": str(10**9),
            "denom_out": "bAX",
            "amount_out": str(out),
        },
    ]
    assert victim_events == []
    assert type(block).from_export(block.export()).events_of(0) == front_events
