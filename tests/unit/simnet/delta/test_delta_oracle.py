"""The oracle: median of the feeders, TWAP mark, staleness and deviation halts."""

from __future__ import annotations

from statistics import median_low

from delta_bench import Delta

from simnet.delta import DeltaParams

PARAMS = DeltaParams()
PAIR = "bAX/DX"
OPEN = {
    "type": "perps.open",
    "market": "bAX-PERP",
    "side": "long",
    "size": str(10**6),
    "leverage": 2,
    "limit_price": "0",
    "reduce_only": False,
}


def test_a_rogue_feeder_does_not_move_the_median(delta: Delta) -> None:
    honest = [1_000_000, 1_001_000, 999_000, 1_002_000]
    rogue = honest[0] * 14 // 10  # +40 %
    for feeder, price in zip(delta.feeders, [*honest, rogue], strict=True):
        delta.send(feeder, {"type": "oracle.submit_price", "pair": PAIR, "price": str(price)})
    delta.block()
    feed = delta.oracle.feeds[PAIR]
    assert feed.price == sorted([*honest, rogue])[2] == median_low([*sorted(honest)[1:], rogue])
    assert feed.price in honest
    assert delta.broken() == {}


def test_the_mark_is_the_mean_of_the_last_published_prices(delta: Delta) -> None:
    prices = [1_000_000 + 10_000 * i for i in range(PARAMS.twap_blocks + 3)]
    for price in prices:
        delta.feed(price)
        delta.block()
    window = prices[-PARAMS.twap_blocks :]
    assert delta.oracle.feeds[PAIR].mark == sum(window) // len(window)


def test_too_few_feeders_leave_the_price_to_age_until_the_market_halts(delta: Delta) -> None:
    delta.feed(1_000_000)
    delta.send(delta.traders[0], {"type": "perps.deposit", "amount": str(10**8)})
    delta.block()
    for _ in range(PARAMS.max_age_blocks):
        delta.feed(2_000_000, feeders=PARAMS.min_feeders - 1)  # not enough to publish
        delta.block()
    feed = delta.oracle.feeds[PAIR]
    assert feed.price == 1_000_000 and not feed.stale
    delta.block()
    assert feed.stale and delta.oracle.age(feed) == PARAMS.max_age_blocks + 1
    assert delta.run(delta.traders[0], OPEN) == "oracle_stale"
    assert delta.broken() == {}


def test_a_move_beyond_the_guard_halts_opens_for_that_block(delta: Delta) -> None:
    trader = delta.traders[0]
    delta.feed(1_000_000)
    assert delta.run(trader, {"type": "perps.deposit", "amount": str(10**8)}) == "committed"
    jump = 1_000_000 * (10_000 + PARAMS.max_move_bps + 1) // 10_000
    delta.feed(jump)
    delta.block()
    assert delta.oracle.status(delta.oracle.feeds[PAIR]) == "halted"
    delta.feed(jump)
    assert delta.run(trader, OPEN) == "market_halted"  # checked before this block's prices
    assert delta.oracle.status(delta.oracle.feeds[PAIR]) == "open"
    delta.feed(jump)
    assert delta.run(trader, {**OPEN, "size": str(2 * 10**6)}) == "committed"  # a new tx
    assert delta.broken() == {}


def test_only_feeders_submit_prices(delta: Delta) -> None:
    msg = {"type": "oracle.submit_price", "pair": PAIR, "price": "1000000"}
    assert delta.refusal(delta.traders[0], msg) == "malformed"
    assert delta.refusal(delta.feeders[0], {**msg, "pair": "AX/DX"}) == "malformed"
    assert delta.refusal(delta.feeders[0], {**msg, "price": "0"}) == "invalid_amount"
