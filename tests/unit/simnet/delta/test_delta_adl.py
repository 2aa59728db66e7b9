"""Auto-deleveraging: what nobody holds is cut from everyone in profit, pro rata, and the house
never pays out collateral it does not hold. Expected figures follow from the rules here: each
account in profit gives amount·profit / Σ profit rounded down, at most its profit and (but for
a profit being realised) its collateral; the units left go to the largest fractional parts."""

from __future__ import annotations

from delta_bench import PERP_MARKET, Delta, walk
from delta_bench import perps_order as order
from hypothesis import given, settings
from hypothesis import strategies as st

from simnet.delta import PERPS_ACCOUNT, PRICE_SCALE, DeltaParams
from simnet.delta._margin import MarginAccount, pro_rata

PARAMS = DeltaParams()
MARKET = PERP_MARKET


def run(d: Delta, who: int, msg: dict[str, object]) -> str:
    d.feed(d.oracle.feeds["bAX/DX"].price)  # keep the price fresh while trading
    return d.run(d.traders[who], msg)


def deposit(d: Delta, who: int, amount: int) -> None:
    assert run(d, who, {"type": "perps.deposit", "amount": str(amount)}) == "committed"


def shrink(d: Delta, house: int, insurance: int) -> None:
    """Leave the house and the insurance fund holding these, the books kept exact."""
    perps = d.perps
    gone = perps.house.collateral - house + perps.insurance - insurance
    d.chain.ledger.mint_module(PERPS_ACCOUNT, "DX", -gone)
    perps.house.collateral, perps.insurance = house, insurance


def account(d: Delta, who: int) -> MarginAccount:
    return d.perps.accounts[d.traders[who].delta_address]


def test_pro_rata_is_exact_caps_and_spreads_the_excess() -> None:
    assert pro_rata(10, [(1, 10), (1, 10), (1, 10)]) == [4, 3, 3]  # the unit: ties go first
    assert pro_rata(10, [(1, 10), (2, 10)]) == [3, 7]  # 3.33 and 6.67: the larger fraction
    assert pro_rata(100, [(50, 10), (50, 100)]) == [10, 90]  # capped, the rest to the other
    assert pro_rata(100, [(50, 10), (50, 20)]) == [10, 20]  # all they can give: 70 is left
    assert pro_rata(7, [(0, 5), (3, 0), (2, 9)]) == [0, 0, 7]  # no profit, nothing to give
    assert pro_rata(7, []) == []
    shares = pro_rata(10**18 + 7, [(3, 10**18), (5, 10**18), (11, 10**18), (13, 10**18)])
    assert sum(shares) == 10**18 + 7
    assert all(
        abs(s * 32 - (10**18 + 7) * w) < 32 for s, w in zip(shares, (3, 5, 11, 13), strict=True)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 10**15),
    st.lists(st.tuples(st.integers(0, 10**12), st.integers(0, 10**12)), max_size=12),
)
def test_pro_rata_never_gives_more_than_asked_or_capped_and_is_within_a_unit(
    amount: int, claims: list[tuple[int, int]]
) -> None:
    shares = pro_rata(amount, claims)
    can_give = sum(cap for weight, cap in claims if weight > 0)
    assert sum(shares) == min(amount, can_give)
    assert all(0 <= s <= cap for s, (_, cap) in zip(shares, claims, strict=True))
    assert all(s == 0 for s, (weight, _) in zip(shares, claims, strict=True) if weight == 0)
    # two claims below their caps got amount·weight / total each, give or take a unit
    free = [(s, w) for s, (w, cap) in zip(shares, claims, strict=True) if w > 0 and s < cap]
    for s, w in free:
        for t, v in free:
            assert abs(s * v - t * w) < v + w


def test_a_profit_the_house_cannot_pay_is_cut_from_everyone_in_profit(delta: Delta) -> None:
    """Three longs in profit; the first closes a profit fifty times what the house holds. What
    neither the house nor the (empty) insurance fund has is cut pro rata from the three profits:
    the small long gives its whole collateral (its share is more), the other two the rest. A
    short in loss puts the house's own book in profit, but all the house holds goes to the
    profit being paid: it gives no haircut on top."""
    perps = delta.perps
    shrink(delta, house=10**9, insurance=0)
    deposit(delta, 0, 10**10)
    deposit(delta, 1, 10**11)
    deposit(delta, 2, 10**9)
    deposit(delta, 3, 10**11)
    assert run(delta, 0, order("long", 10**11)) == "committed"
    assert run(delta, 1, order("long", 10**11, leverage=2)) == "committed"
    assert run(delta, 2, order("long", 10**10)) == "committed"
    assert run(delta, 3, order("short", 12 * 10**10)) == "committed"
    walk(delta, PRICE_SCALE * 150 // 100)
    assert perps.unrealised(account(delta, 3)) < -perps.unrealised(account(delta, 1)) * 11 // 10
    a, b, c = (account(delta, i) for i in range(3))
    house, insurance = perps.house.collateral, perps.insurance  # funding moved them a little
    gain = perps.unrealised(a)
    b_gain, c_gain = perps.unrealised(b), perps.unrealised(c)
    b_held, c_held = b.collateral, c.collateral
    short = gain - house - insurance
    assert short > 40 * house and min(b_gain, c_gain) > 0 and b_held > b_gain

    assert run(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    total = gain + b_gain + c_gain
    assert short * c_gain > c_held * total  # the small long's share is above what it holds
    assert c.collateral == 0
    left = short - c_held  # spread over the other two in proportion to their profits
    a_cut, b_cut = left * gain // (gain + b_gain), left * b_gain // (gain + b_gain)
    if a_cut + b_cut < left:  # one unit: the larger fractional part takes it
        a_frac, b_frac = left * gain % (gain + b_gain), left * b_gain % (gain + b_gain)
        first_is_a = delta.traders[0].delta_address < delta.traders[1].delta_address
        if a_frac > b_frac or (a_frac == b_frac and first_is_a):
            a_cut += 1
        else:
            b_cut += 1
    assert a_cut + b_cut + c_held == short
    assert a.realised == gain - a_cut
    assert b.collateral == b_held - b_cut
    assert perps.house.collateral == 0 and perps.insurance == 0
    assert perps.deficit == perps.haircuts == short
    assert perps.held() == sum(x.collateral for x in perps.accounts.values())
    assert delta.broken() == {}


def test_a_flip_refused_for_margin_gives_back_the_haircuts_it_took(delta: Delta) -> None:
    """A long in profit flips to a short too large for its margin: the profit it realised on the
    way, and the haircuts ADL took from the other long to pay it, are all undone."""
    perps = delta.perps
    shrink(delta, house=10**9, insurance=0)
    deposit(delta, 0, 10**10)
    deposit(delta, 1, 10**11)
    assert run(delta, 0, order("long", 10**11)) == "committed"
    assert run(delta, 1, order("long", 10**11, leverage=2)) == "committed"
    walk(delta, PRICE_SCALE * 150 // 100)
    a, b = account(delta, 0), account(delta, 1)
    before = (a.collateral, a.realised, dict(a.positions), b.collateral)
    books = (perps.house.collateral, perps.insurance, perps.deficit, perps.haircuts)
    assert perps.unrealised(a) > perps.house.collateral + perps.insurance  # ADL would run
    assert run(delta, 0, order("short", 10**11 + 10**12)) == "margin_insufficient"
    assert (a.collateral, a.realised, a.positions, b.collateral) == before
    assert (perps.house.collateral, perps.insurance, perps.deficit, perps.haircuts) == books
    assert delta.broken() == {}


def test_funding_the_house_cannot_pay_is_deleveraged_not_owed(delta: Delta) -> None:
    """An empty house and an empty fund pay the long's funding on a rising market: the house
    is never left short; what it paid is cut from the one account in profit, the long."""
    perps = delta.perps
    shrink(delta, house=0, insurance=0)
    deposit(delta, 0, 10**9)
    assert run(delta, 0, order("long", 5 * 10**9)) == "committed"
    walk(delta, PRICE_SCALE * 120 // 100)  # the mark lags the index: the house's short pays
    long = account(delta, 0)
    assert perps.funding_events and perps.house.funding < 0
    dust = sum(e.dust for e in perps.funding_events)
    assert perps.house.collateral == 0
    assert perps.insurance == 0  # what the dust gave went to the house, then ADL the rest
    assert perps.haircuts == perps.deficit == -perps.house.funding - dust
    assert long.collateral == 10**9 + long.funding - perps.haircuts
    assert delta.broken() == {}


def test_a_bankrupt_accounts_debt_is_cut_from_the_house_and_the_profitable_short(
    delta: Delta,
) -> None:
    """A crash bankrupts a 10x long; the insurance fund is empty. The house, the long's
    counterparty, booked its whole loss, more than the long could pay; the short is in profit.
    The debt is cut from both in proportion: the house's by what it booked, the short's by its
    profit at the mark, which the long's liquidation record gives."""
    perps = delta.perps
    shrink(delta, house=perps.house.collateral, insurance=0)
    deposit(delta, 0, 10**8)
    deposit(delta, 1, 10**9)
    assert run(delta, 0, order("long", 9 * 10**8)) == "committed"
    assert run(delta, 1, order("short", 10**8, leverage=5)) == "committed"
    long, short = account(delta, 0), account(delta, 1)
    entry, before = short.positions[MARKET].entry, short.collateral - short.funding
    for _ in range(PARAMS.twap_blocks):  # a -50 % gap: the mark falls 5 % a block
        delta.feed(PRICE_SCALE // 2)
        delta.block()
    record = perps.liquidations[0]
    assert record["account"] == delta.traders[0].delta_address
    debt = int(str(record["deficit"])) - int(str(record["insurance_cover"]))
    mark = int(str(record["notional"])) * PRICE_SCALE // (9 * 10**8)
    profit = -(10**8) * (mark - entry) // PRICE_SCALE
    booked = -long.realised
    assert debt > profit > 0 and booked > debt  # the short alone could not pay it
    cut, rest = divmod(debt * profit, booked + profit)
    if rest * 2 >= booked + profit:  # two claims: the unit left goes to the larger fraction,
        cut += 1  # the short's on a tie (the house is last)
    assert short.collateral - short.funding == before - cut
    assert int(str(record["adl_haircut"])) == debt
    assert perps.deficit == perps.haircuts == debt
    assert long.collateral == 0 and perps.house.collateral > 0
    assert delta.broken() == {}


def test_a_deficit_nobody_in_profit_can_absorb_stays_uncovered(delta: Delta) -> None:
    """An empty house and an empty fund: the price spikes and falls back, so at the funding
    block the mark (a TWAP) is above the index and the house's long pays the short, which is in
    loss at that mark. Nobody in profit can give what the house paid (the house's own book is
    in profit, but it holds nothing): the house's debt stays, recorded as uncovered, and the
    deficit invariant says so; the module account pays out no more than it holds."""
    perps = delta.perps
    shrink(delta, house=0, insurance=0)
    deposit(delta, 0, 10**9)
    assert run(delta, 0, order("short", 5 * 10**9)) == "committed"
    entry = account(delta, 0).positions[MARKET].entry
    every = PARAMS.funding_every_blocks
    while delta.chain.height % every != every - 5:
        delta.feed(entry)
        delta.block()
    for _ in range(4):
        delta.feed(entry * 104 // 100)
        delta.block()
    delta.feed(entry)
    delta.block()
    event = perps.funding_events[-1]
    assert event.height == delta.chain.height and event.rate_ppm > 0 and event.mark > entry
    assert perps.unrealised(account(delta, 0)) < 0
    uncovered = event.paid - event.dust  # the house paid it all, the dust came back
    assert uncovered > 0 and perps.house.funding == -event.paid
    assert perps.house.collateral == -uncovered and perps.insurance == 0
    assert perps.deficit == uncovered and perps.haircuts == 0
    assert perps.held() == account(delta, 0).collateral - uncovered >= 0
    broken = delta.broken()
    assert list(broken) == ["perps/deficit-accounted"]
    assert broken["perps/deficit-accounted"].startswith(f"uncovered deficit {uncovered} DX")
