"""Each Delta switch is off by default, and on it opens exactly the weakness it names."""

from __future__ import annotations

import pytest
from delta_bench import Delta, make_delta

from simnet.delta import PERPS_ACCOUNT, PRICE_SCALE, DeltaParams

PARAMS = DeltaParams()
MARKET = "bAX-PERP"


def pool(d: Delta, x: int, y: int) -> None:
    msg = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
    assert d.run(d.traders[0], {**msg, "amount_a": str(x), "amount_b": str(y)}) == "committed"


def swap(amount: int, min_out: int = 0, denom: str = "DX") -> dict:
    return {
        "type": "dex.swap",
        "pool": 1,
        "denom_in": denom,
        "amount_in": str(amount),
        "min_out": str(min_out),
        "deadline_height": 0,
    }


def long(d: Delta, who: int, size: int, collateral: int = 10**8) -> None:
    d.feed(d.oracle.feeds["bAX/DX"].price)
    d.send(d.traders[who], {"type": "perps.deposit", "amount": str(collateral)})
    d.block()
    d.feed(d.oracle.feeds["bAX/DX"].price)
    order = {
        "type": "perps.open",
        "market": MARKET,
        "side": "long",
        "size": str(size),
        "leverage": 10,
        "limit_price": "0",
        "reduce_only": False,
    }
    assert d.run(d.traders[who], order) == "committed"


def crash(d: Delta, price: int, blocks: int = PARAMS.twap_blocks) -> None:
    for _ in range(blocks):
        d.feed(price)
        d.block()


@pytest.mark.parametrize("on", [False, True])
def test_k_leak_rounding(on: bool) -> None:
    d = make_delta(("k_leak_rounding",) if on else ())
    pool(d, 10**6, 10**6)
    outcome = d.run(d.traders[1], swap(1))  # 0.997 units out: rounds to 0, or to 1 leaking
    assert outcome == ("committed" if on else "slippage_exceeded")
    assert ("dex/share-value" in d.broken()) is on


@pytest.mark.parametrize("on", [False, True])
def test_min_out_ignored(on: bool) -> None:
    d = make_delta(("min_out_ignored",) if on else ())
    pool(d, 10**9, 10**9)
    quote = d.dex.quote(d.dex.pools[1], "DX", 10**6)
    assert d.run(d.traders[1], swap(10**6, min_out=quote + 1)) == (
        "committed" if on else "slippage_exceeded"
    )
    assert ("dex/min-out" in d.broken()) is on


@pytest.mark.parametrize("on", [False, True])
def test_funding_one_sided(on: bool) -> None:
    d = make_delta(("funding_one_sided",) if on else ())
    long(d, 0, 5 * 10**8)
    crash(d, PRICE_SCALE * 97 // 100, PARAMS.funding_every_blocks)  # mark above index: longs pay
    assert d.perps.funding_events, "no funding event in 10 blocks"
    broken = d.broken()
    assert ("perps/funding-zero-sum" in broken) is on
    assert ("perps/margin-accounting" in broken) is on


@pytest.mark.parametrize("on", [False, True])
def test_liquidation_throttle(on: bool) -> None:
    d = make_delta(("liquidation_throttle",) if on else (), traders=6)
    for who in range(6):
        long(d, who, 9 * 10**8)
    crash(d, PRICE_SCALE * 90 // 100, PARAMS.twap_blocks + 6)  # all six fall at once
    heights = {x["height"] for x in d.perps.liquidations}
    assert len(d.perps.liquidations) == 6
    assert len(heights) == (6 if on else 1)  # one a block, or all in the same end-block
    assert ("perps/liquidation-lag" in d.broken()) is on


@pytest.mark.parametrize("on", [False, True])
def test_withdraw_unchecked(on: bool) -> None:
    d = make_delta(("withdraw_unchecked",) if on else ())
    long(d, 0, 9 * 10**8)
    d.feed(PRICE_SCALE)
    everything = {"type": "perps.withdraw", "amount": str(10**8)}
    assert d.run(d.traders[0], everything) == ("committed" if on else "margin_insufficient")


@pytest.mark.parametrize("on", [False, True])
def test_oracle_spot_unguarded(on: bool) -> None:
    d = make_delta(("oracle_spot_unguarded",) if on else ())
    pool(d, 10**8, 10**8)  # a thin DX/bAX pool at 1.0
    long(d, 0, 5 * 10**8)
    for _ in range(3):  # pump: buy bAX with DX, feeders keep reporting 1.0
        d.feed(PRICE_SCALE)
        d.run(d.traders[1], swap(2 * 10**7))
    feed = d.oracle.feeds["bAX/DX"]
    assert (feed.price > PRICE_SCALE * 3 // 2) is on
    assert (feed.price == PRICE_SCALE) is not on
    account = d.perps.accounts[d.traders[0].delta_address]
    assert (d.perps.withdrawable(account) > account.collateral) is on  # paper profit out
    assert ("oracle/median" in d.broken()) is on


@pytest.mark.parametrize("on", [False, True])
def test_no_insurance_no_adl(on: bool) -> None:
    d = make_delta(("no_insurance_no_adl",) if on else ())
    long(d, 0, 9 * 10**8)
    crash(d, PRICE_SCALE // 2)
    assert int(str(d.perps.liquidations[0]["deficit"])) > 0
    broken = d.broken()
    assert ("perps/deficit-accounted" in broken) is on
    assert ("perps/margin-accounting" in broken) is on
    assert d.chain.ledger.modules[PERPS_ACCOUNT]["DX"] >= 0


def test_every_delta_switch_is_off_by_default() -> None:
    d = make_delta()
    names = (
        "k_leak_rounding",
        "min_out_ignored",
        "funding_one_sided",
        "liquidation_throttle",
        "withdraw_unchecked",
        "oracle_spot_unguarded",
        "no_insurance_no_adl",
        "offset_pagination",
        "leak_index",
        "stream_lossy",
    )
    assert not any(d.network.vulns.on(n) for n in names)
    d.network.vulns.enable(names)  # every one is a registered name
    assert all(d.network.vulns.on(n) for n in names)
