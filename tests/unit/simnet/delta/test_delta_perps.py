"""Perps: margin, leverage, reduce-only, PnL against the house, funding, liquidations,
the insurance fund and auto-deleveraging. Expected figures follow from the rules here."""

from __future__ import annotations

from delta_bench import FEE, PERP_MARKET, Delta, make_delta, walk
from delta_bench import perps_order as order

from simnet.delta import PERPS_ACCOUNT, PRICE_SCALE, DeltaParams

PARAMS = DeltaParams()
MARKET = PERP_MARKET


def deposit(d: Delta, who: int, amount: int) -> None:
    d.feed(d.oracle.feeds["bAX/DX"].price)  # keep the price fresh while trading
    assert d.run(d.traders[who], {"type": "perps.deposit", "amount": str(amount)}) == "committed"


def trade(d: Delta, who: int, msg: dict) -> str:
    d.feed(d.oracle.feeds["bAX/DX"].price)
    return d.run(d.traders[who], msg)


def test_initial_margin_bounds_the_size_exactly(delta: Delta) -> None:
    collateral = 10**8
    deposit(delta, 0, collateral)
    price = delta.perps.mark(MARKET)
    most = collateral * PARAMS.max_leverage * PRICE_SCALE // price  # notional / 10 == collateral
    assert trade(delta, 0, order("long", most + PRICE_SCALE)) == "margin_insufficient"
    assert trade(delta, 0, order("long", most, leverage=PARAMS.max_leverage + 1)) == (
        "margin_insufficient"
    )
    assert trade(delta, 0, order("long", most)) == "committed"
    assert delta.perps.open_interest(MARKET) == (most, most)  # the house holds the short
    assert delta.broken() == {}


def test_reduce_only_and_limit_price(delta: Delta) -> None:
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("short", 10**6, reduce_only=True)) == "reduce_only_violation"
    assert trade(delta, 0, order("long", 2 * 10**6)) == "committed"
    assert trade(delta, 0, order("short", 3 * 10**6, reduce_only=True)) == "reduce_only_violation"
    mark = delta.perps.mark(MARKET)
    assert trade(delta, 0, order("long", 10**6, limit_price=str(mark - 1))) == "slippage_exceeded"
    assert trade(delta, 0, order("short", 10**6, reduce_only=True)) == "committed"
    assert delta.perps.accounts[delta.traders[0].delta_address].positions[MARKET].size == 10**6


def test_close_realises_the_pnl_and_the_house_pays_it(delta: Delta) -> None:
    deposit(delta, 0, 10**8)
    size = 5 * 10**8
    assert trade(delta, 0, order("long", size, leverage=5)) == "committed"
    entry = delta.perps.mark(MARKET)
    house = delta.perps.house.collateral
    walk(delta, entry * 110 // 100)
    exit_price = delta.perps.mark(MARKET)
    assert trade(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    gain = size * (exit_price - entry) // PRICE_SCALE
    account = delta.perps.accounts[delta.traders[0].delta_address]
    assert account.collateral == 10**8 + gain + account.funding
    assert delta.perps.house.collateral == house - gain - account.funding
    assert delta.perps.open_interest(MARKET) == (0, 0)
    assert delta.broken() == {}


def test_unrealised_profit_is_not_withdrawable(delta: Delta) -> None:
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("long", 2 * 10**8, leverage=10)) == "committed"
    walk(delta, PRICE_SCALE * 105 // 100)
    perps = delta.perps
    account = perps.accounts[delta.traders[0].delta_address]
    assert perps.unrealised(account) > 0
    free = account.collateral - perps.initial(account)
    withdraw = {"type": "perps.withdraw", "amount": str(free + 1)}
    assert trade(delta, 0, withdraw) == "margin_insufficient"
    assert trade(delta, 0, {**withdraw, "amount": str(free)}) == "committed"


def test_funding_moves_value_between_sides_and_sums_to_zero(delta: Delta) -> None:
    deposit(delta, 0, 10**9)
    deposit(delta, 1, 10**9)
    assert trade(delta, 0, order("long", 3 * 10**8, leverage=5)) == "committed"
    assert trade(delta, 1, order("short", 10**8, leverage=5)) == "committed"
    while delta.chain.height % PARAMS.funding_every_blocks != PARAMS.funding_every_blocks - 2:
        delta.feed(PRICE_SCALE)
        delta.block()
    delta.feed(PRICE_SCALE * 103 // 100)  # index above the TWAP mark: shorts pay longs
    delta.block()
    delta.feed(PRICE_SCALE * 103 // 100)
    delta.block()
    event = delta.perps.funding_events[-1]
    assert event.height == delta.chain.height
    expected = max(-PARAMS.funding_clamp_ppm, (event.mark - event.index) * 10**6 // event.index)
    assert event.rate_ppm == expected < 0
    scale = PRICE_SCALE * 10**6
    long_gets = -(3 * 10**8 * event.mark * event.rate_ppm) // scale
    accounts = delta.perps.accounts
    assert accounts[delta.traders[0].delta_address].funding == long_gets
    assert event.paid == event.received + event.dust and event.dust <= 3
    assert delta.broken() == {}


def test_keeper_and_protocol_liquidations(delta: Delta) -> None:
    for who in (0, 1):
        deposit(delta, who, 10**8)
        assert trade(delta, who, order("long", 9 * 10**8, leverage=10)) == "committed"
    perps = delta.perps
    insurance = perps.insurance
    keeper = delta.traders[2]
    healthy = {"type": "perps.liquidate", "account": delta.traders[0].delta_address}
    assert trade(delta, 2, healthy) == "not_liquidatable"
    walk(delta, PRICE_SCALE * 92 // 100)  # 9x long, -8 %: equity under 5 % of notional
    # the protocol liquidated both a block after they fell; nobody is left below maintenance
    assert perps.accounts[delta.traders[0].delta_address].positions == {}
    assert [x["keeper"] for x in perps.liquidations] == [None, None]
    fees = sum(int(str(x["fee"])) for x in perps.liquidations)
    assert perps.insurance == insurance + fees  # no keeper: the whole fee to insurance
    assert delta.balance(keeper, "DX") == 10**12 - FEE  # the refused liquidation: its fee only
    assert delta.broken() == {}


def test_an_account_that_closes_below_maintenance_is_not_left_lagging(delta: Delta) -> None:
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("long", 9 * 10**8, leverage=10)) == "committed"
    perps = delta.perps
    account = perps.accounts[delta.traders[0].delta_address]
    price = PRICE_SCALE
    while account.below_since is None:  # fallen, noticed by end-block, not yet liquidated
        price = price * 99 // 100
        delta.feed(price)
        delta.block()
    assert trade(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    for _ in range(PARAMS.liquidation_lag_blocks + 2):
        delta.feed(price)
        delta.block()
    assert account.positions == {} and account.below_since is None
    assert delta.broken() == {}


def test_a_halted_market_does_not_count_toward_the_liquidation_lag(delta: Delta) -> None:
    """Feeders that stop (a run that ends, an outage) halt the market while its mark still
    follows the last prices: with no price nobody can liquidate, so an account noticed below
    maintenance in the last fresh block waits, its lag restarting when the price comes back."""
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("long", 9 * 10**8, leverage=10)) == "committed"
    perps = delta.perps
    account = perps.accounts[delta.traders[0].delta_address]
    price = PRICE_SCALE
    for _ in range(2):  # -8 %: the mark (a TWAP) gets there after the feeders went silent
        price = price * 96 // 100
        delta.feed(price)
        delta.block()
    for _ in range(PARAMS.twap_blocks):
        delta.block()
    assert delta.oracle.feeds["bAX/DX"].stale and perps.liquidatable(account)
    account.below_since = perps.height  # noticed in the last block with a fresh price
    for _ in range(PARAMS.liquidation_lag_blocks + 2):
        delta.block()
    assert account.positions != {} and account.below_since is None
    assert delta.broken() == {}
    for _ in range(2):  # the price is back: noticed, then liquidated a block later
        delta.feed(price)
        delta.block()
    assert account.positions == {}
    assert delta.broken() == {}


def test_keeper_gets_half_the_fee(delta: Delta) -> None:
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("long", 9 * 10**8, leverage=10)) == "committed"
    perps = delta.perps
    account = perps.accounts[delta.traders[0].delta_address]
    price = PRICE_SCALE
    while not perps.liquidatable(account):
        price = price * 99 // 100
        delta.feed(price)
        delta.block()
    keeper = delta.traders[2]
    before = delta.balance(keeper, "DX")
    insurance = perps.insurance
    liquidate = {"type": "perps.liquidate", "account": delta.traders[0].delta_address}
    assert trade(delta, 2, liquidate) == "committed"
    record = perps.liquidations[-1]
    fee = int(str(record["fee"]))
    assert record["keeper"] == keeper.delta_address and fee > 0
    assert delta.balance(keeper, "DX") - before == fee // 2 - 10_000
    assert perps.insurance - insurance == fee - fee // 2
    assert delta.broken() == {}


def test_a_deficit_beyond_the_insurance_fund_is_deleveraged_exactly(delta: Delta) -> None:
    perps = delta.perps
    drained = perps.insurance
    delta.chain.ledger.mint_module(PERPS_ACCOUNT, "DX", -drained)  # an empty fund, same books
    perps.insurance = 0
    deposit(delta, 0, 10**8)
    deposit(delta, 1, 10**9)
    assert trade(delta, 0, order("long", 9 * 10**8, leverage=10)) == "committed"
    assert trade(delta, 1, order("short", 10**8, leverage=5)) == "committed"
    short = perps.accounts[delta.traders[1].delta_address].collateral
    for _ in range(PARAMS.twap_blocks):  # a -50 % gap: the mark falls 5 % a block
        delta.feed(PRICE_SCALE // 2)
        delta.block()
    record = perps.liquidations[0]
    assert int(str(record["deficit"])) > 0 and int(str(record["adl_haircut"])) > 0
    assert perps.deficit == perps.haircuts == int(str(record["deficit"]))
    assert perps.accounts[delta.traders[1].delta_address].collateral < short  # in profit: cut
    assert delta.broken() == {}


def test_a_profit_beyond_the_house_is_paid_by_insurance_then_deleveraged(delta: Delta) -> None:
    """The oracle doubles: the long's profit (2e12 DX) is more than the house (1e12) and the
    insurance fund (1e9) hold. The house pays what it has, the fund what it has, the rest of the
    profit is auto-deleveraged; the module never pays out more than it holds."""
    perps = delta.perps
    collateral, size = 2 * 10**11, 2 * 10**12  # 10x at a price of 1.0
    deposit(delta, 0, collateral)
    assert trade(delta, 0, order("long", size, leverage=10)) == "committed"
    entry = perps.mark(MARKET)
    walk(delta, 2 * PRICE_SCALE)
    house, insurance = perps.house.collateral, perps.insurance
    assert trade(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    account = perps.accounts[delta.traders[0].delta_address]
    gain = size * (perps.mark(MARKET) - entry) // PRICE_SCALE
    assert gain > house + insurance
    assert perps.house.collateral == 0 and perps.insurance == 0
    assert perps.deficit == perps.haircuts == gain - house - insurance
    assert account.realised == house + insurance
    held = delta.chain.ledger.modules[PERPS_ACCOUNT]["DX"]
    assert held == account.collateral  # everything the module holds is the trader's
    everything = {"type": "perps.withdraw", "amount": str(account.collateral)}
    assert trade(delta, 0, {**everything, "amount": str(held + 1)}) == "margin_insufficient"
    assert trade(delta, 0, everything) == "committed"
    assert delta.chain.ledger.modules[PERPS_ACCOUNT]["DX"] == 0
    assert delta.broken() == {}


def test_a_close_below_zero_is_a_deficit_the_insurance_fund_covers(delta: Delta) -> None:
    """A crash: the 10x long falls from above maintenance to below zero in one block and its
    owner closes at the next, before the protocol liquidates it, losing more than its margin. The
    debt is not left on the account (the house would hold a claim nobody pays): the insurance
    fund covers it, as in a liquidation."""
    perps = delta.perps
    walk(delta, PRICE_SCALE)  # a mark of ten equal prices: the gap moves it 5 % a block
    deposit(delta, 0, 10**8)
    assert trade(delta, 0, order("long", 10**9, leverage=10)) == "committed"
    account = perps.accounts[delta.traders[0].delta_address]
    for price in (PRICE_SCALE // 2, PRICE_SCALE // 100):  # the mark: 0.95 (above), 0.851
        delta.feed(price)
        delta.block()
    assert account.below_since is not None and not perps.liquidations
    insurance, house, collateral = perps.insurance, perps.house.collateral, account.collateral
    assert trade(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    assert not perps.liquidations and not account.positions
    loss = -account.realised  # what the long lost, the house gained
    debt = -(collateral + account.realised)
    assert loss > 0 and debt > 0
    assert account.collateral == 0
    assert perps.insurance == insurance - debt
    assert perps.house.collateral == house + loss
    assert delta.broken() == {}


def test_the_insurance_fund_tops_up_a_house_funding_left_below_zero(delta: Delta) -> None:
    """A house with nothing left pays the short's funding on a rising market: the insurance
    fund covers what it paid, so the house never owes collateral it does not hold."""
    perps = delta.perps
    delta.chain.ledger.mint_module(PERPS_ACCOUNT, "DX", -perps.house.collateral)
    perps.house.collateral = 0  # an empty house, same books
    deposit(delta, 0, 10**9)
    assert trade(delta, 0, order("long", 5 * 10**9, leverage=10)) == "committed"
    insurance = perps.insurance
    walk(delta, PRICE_SCALE * 120 // 100)  # the mark lags the index: the house's short pays
    assert perps.funding_events and perps.house.funding < 0
    dust = sum(e.dust for e in perps.funding_events)
    assert perps.house.collateral == 0
    assert perps.insurance == insurance + dust + perps.house.funding
    assert delta.broken() == {}


def test_no_withdrawal_takes_more_than_the_module_holds() -> None:
    """Under `no_insurance_no_adl` the house pays a profit beyond its means into a negative
    balance; the trader's collateral is then more than the module holds, and a withdrawal is
    capped by the holdings, so the module account never goes below zero."""
    delta = make_delta(vulns=("no_insurance_no_adl",))
    perps = delta.perps
    deposit(delta, 0, 2 * 10**11)
    assert trade(delta, 0, order("long", 2 * 10**12, leverage=10)) == "committed"
    walk(delta, 2 * PRICE_SCALE)
    assert trade(delta, 0, {"type": "perps.close", "market": MARKET}) == "committed"
    account = perps.accounts[delta.traders[0].delta_address]
    held = perps.held()
    assert perps.house.collateral < 0 and account.collateral > held > 0
    withdraw = {"type": "perps.withdraw", "amount": str(held + 1)}
    assert trade(delta, 0, withdraw) == "margin_insufficient"
    assert trade(delta, 0, {**withdraw, "amount": str(held)}) == "committed"
    assert perps.held() == 0
    assert "bank/nonnegative-balance" not in delta.broken()
