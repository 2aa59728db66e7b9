"""The DEX state machine: pool creation, swaps against the constant-product rule, bounds,
add/remove round trips, quotes and the TWAP. Expected numbers are recomputed here from the
rule (exact fractions), never copied from simnet."""

from __future__ import annotations

from fractions import Fraction
from math import floor, isqrt

import pytest
from delta_bench import FEE as TX_FEE
from delta_bench import Delta

from simnet import SimnetError
from simnet.delta import DeltaParams

PARAMS = DeltaParams()
FEE = Fraction(PARAMS.swap_fee_bps, 10_000)
X0, Y0 = 4 * 10**9, 10**9  # DX, bAX: 1 bAX = 4 DX


def create(d: Delta, x: int = X0, y: int = Y0) -> None:
    msg = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
    outcome = d.run(d.traders[0], {**msg, "amount_a": str(x), "amount_b": str(y)})
    assert outcome == "committed"


def swap(pool: int, denom: str, amount: int, min_out: int = 0, deadline: int = 0) -> dict:
    return {
        "type": "dex.swap",
        "pool": pool,
        "denom_in": denom,
        "amount_in": str(amount),
        "min_out": str(min_out),
        "deadline_height": deadline,
    }


def expected_out(amount: int, reserve_in: int, reserve_out: int) -> int:
    kept = amount * (1 - FEE)
    return floor(kept * reserve_out / (reserve_in + kept))


def test_create_pool_locks_minimum_liquidity(delta: Delta) -> None:
    before = delta.balance(delta.traders[0], "DX")
    create(delta)
    pool = delta.dex.pools[1]
    assert pool.shares == isqrt(X0 * Y0)
    assert pool.lp[delta.traders[0].delta_address] == isqrt(X0 * Y0) - PARAMS.min_liquidity
    assert pool.locked == PARAMS.min_liquidity
    assert delta.chain.ledger.modules["dex"] == {"DX": X0, "bAX": Y0}
    assert before - delta.balance(delta.traders[0], "DX") == X0 + 10_000  # reserves + fee
    assert delta.broken() == {}


def test_a_pool_needs_more_than_the_locked_liquidity(delta: Delta) -> None:
    side = isqrt(PARAMS.min_liquidity)  # √(side·side) == locked: not more
    msg = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
    code = delta.run(delta.traders[0], {**msg, "amount_a": str(side), "amount_b": str(side)})
    assert code == "invalid_amount"
    assert delta.dex.pools == {}


def test_swap_pays_the_constant_product_output_and_k_grows(delta: Delta) -> None:
    create(delta)
    trader = delta.traders[1]
    amount = 10**7
    quote = delta.dex.quote(delta.dex.pools[1], "DX", amount)
    bax = delta.balance(trader, "bAX")
    assert delta.run(trader, swap(1, "DX", amount, min_out=quote)) == "committed"
    out = delta.balance(trader, "bAX") - bax
    assert out == quote == expected_out(amount, X0, Y0)
    pool = delta.dex.pools[1]
    assert (pool.reserve_a, pool.reserve_b) == (X0 + amount, Y0 - out)
    assert pool.reserve_a * pool.reserve_b > X0 * Y0
    assert delta.broken() == {}


def test_min_out_above_the_output_fails_and_changes_nothing(delta: Delta) -> None:
    """The failed swap stays in its block: it pays its fee and spends its nonce, no more."""
    create(delta)
    trader = delta.traders[1]
    amount = 10**7
    out = expected_out(amount, X0, Y0)
    dx, bax = delta.balance(trader, "DX"), delta.balance(trader, "bAX")
    nonce = delta.chain.ledger.nonce(trader.delta_address)
    assert delta.run(trader, swap(1, "DX", amount, min_out=out + 1)) == "slippage_exceeded"
    assert (delta.balance(trader, "DX"), delta.balance(trader, "bAX")) == (dx - TX_FEE, bax)
    assert delta.chain.ledger.nonce(trader.delta_address) == nonce + 1
    assert (delta.dex.pools[1].reserve_a, delta.dex.pools[1].reserve_b) == (X0, Y0)


def test_deadline_is_checked_at_admission_and_at_execution(delta: Delta) -> None:
    create(delta)
    trader = delta.traders[1]
    height = delta.chain.height
    assert delta.refusal(trader, swap(1, "DX", 10**6, deadline=height)) == "deadline_exceeded"
    entry = delta.chain.decode(delta.wire(trader, swap(1, "DX", 10**6, deadline=height + 1)))
    with pytest.raises(SimnetError) as refused:
        delta.dex.execute(entry, entry.msgs[0], height + 2, 0)
    assert refused.value.code == "deadline_exceeded"


def test_add_then_remove_returns_the_deposit_less_at_most_one_unit(delta: Delta) -> None:
    create(delta)
    lp = delta.traders[2]
    dx, bax = delta.balance(lp, "DX"), delta.balance(lp, "bAX")
    max_a, max_b = 123_456_789, 30_864_197
    add = {"type": "dex.add_liquidity", "pool": 1, "max_a": str(max_a), "max_b": str(max_b)}
    assert delta.run(lp, {**add, "min_shares": "1"}) == "committed"
    shares = delta.dex.pools[1].lp[lp.delta_address]
    total = isqrt(X0 * Y0)
    assert shares == min(max_a * total // X0, max_b * total // Y0)
    put_dx, put_bax = dx - delta.balance(lp, "DX") - 10_000, bax - delta.balance(lp, "bAX")
    assert put_dx <= max_a and put_bax <= max_b
    remove = {"type": "dex.remove_liquidity", "pool": 1, "shares": str(shares)}
    assert delta.run(lp, {**remove, "min_a": "0", "min_b": "0"}) == "committed"
    got_dx = delta.balance(lp, "DX") - (dx - put_dx - 20_000)
    got_bax = delta.balance(lp, "bAX") - (bax - put_bax)
    assert put_dx - 1 <= got_dx <= put_dx and put_bax - 1 <= got_bax <= put_bax
    assert delta.broken() == {}


def test_liquidity_bounds_are_honoured(delta: Delta) -> None:
    create(delta)
    lp = delta.traders[2]
    add = {"type": "dex.add_liquidity", "pool": 1, "max_a": str(4 * 10**6), "max_b": str(10**6)}
    most = isqrt(X0 * Y0) * 10**6 // Y0
    assert delta.run(lp, {**add, "min_shares": str(most + 1)}) == "slippage_exceeded"
    assert delta.run(lp, {**add, "min_shares": str(most)}) == "committed"
    remove = {"type": "dex.remove_liquidity", "pool": 1, "shares": str(most), "min_b": "0"}
    too_much = {**remove, "min_a": str(4 * 10**6 + 1)}
    assert delta.run(lp, too_much) == "slippage_exceeded"
    assert delta.run(delta.traders[3], {**remove, "min_a": "0"}) == "insufficient_funds"


def test_twap_weights_each_price_by_the_blocks_it_stood(delta: Delta) -> None:
    create(delta)
    dex = delta.dex
    delta.block(4)
    p0 = dex.pools[1].price_a()
    assert delta.run(delta.traders[1], swap(1, "bAX", 10**8)) == "committed"
    p1 = dex.pools[1].price_a()
    delta.block(2)
    twap, _, blocks = dex.twap(dex.pools[1], 10)
    start = dex.pools[1].marks[0][0]
    swap_height = delta.chain.height - 2
    # a block's closing price counts from the next block on (Uniswap V2 accumulators)
    before, after = swap_height - start, delta.chain.height - swap_height
    assert blocks == before + after
    assert twap == (p0 * before + p1 * after) // blocks
    assert p0 < twap < p1  # bAX sold into the pool: DX dearer in bAX
