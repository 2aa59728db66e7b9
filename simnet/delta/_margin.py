"""The perps book: cross-margin accounts in DX, the house, and what an account is worth.

Every trade executes against the house, a protocol account funded at genesis that holds the
opposite of all traders' positions, so long and short open interest are equal by construction
and every PnL is zero-sum. An account's equity is collateral plus unrealised PnL at the
market's mark (the oracle's 10-block TWAP); it needs `initial_margin_bps` of its notional (or
notional / leverage when the order asked for less) to open or withdraw and
`maintenance_margin_bps` to stay open. PnL rounds down for traders (Python's floor), so dust
always stays with the protocol. The house pays a realised profit from its collateral, then
the insurance fund; what neither holds is auto-deleveraged (`deleverage`): cut from every
account in profit, pro rata, the one realising its profit among them. No withdrawal takes more
than the module account holds, whatever the price does between blocks.

Auto-deleveraging is strictly proportional, not a queue ranked by profit x leverage as on
order-book exchanges (Binance, Bybit, BitMEX): there the bankrupt position must be matched
against an opposite one, which the queue picks and closes; here every position's counterparty
is the house, so only the value is missing and it is taken from all profits alike, as a
socialised-loss or clawback scheme does, whatever order the txs came in. The house is in profit
when the traders are in loss, and by what it booked from a bankrupt account's close (it is that
account's counterparty). `pro_rata` states the rounding; a haircut never takes more than an
account's profit nor, but for a profit being realised, more collateral than it holds, so the
house is never cut below zero. What nobody in profit can give stays the debt of whoever is
short (the bankrupt account, or the house that paid funding it did not hold): recorded as
uncovered (`deficit` > `haircuts`), which `perps/deficit-accounted` reports; the module
account still never pays out more than it holds.

`MarginBook` is the state every part of perps shares (trading, funding, liquidation) and the
one primitive that moves a position, `trade`; `simnet.delta._perps` is the chain module.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from botruntime.chain.tx import JsonValue
from simnet._errors import Rejected
from simnet._ledger import Ledger
from simnet.delta._oracle import Feed, Oracle
from simnet.delta._params import BPS, PRICE_SCALE, DeltaParams

if TYPE_CHECKING:
    from simnet._chain import Chain
    from simnet.delta._funding import FundingEvent

__all__ = [
    "HOUSE",
    "PERPS_ACCOUNT",
    "MarginAccount",
    "MarginBook",
    "Position",
    "account_from",
    "account_state",
    "notional",
    "pnl",
    "pro_rata",
]

PERPS_ACCOUNT: Final = "perps"
HOUSE: Final = "house"


@dataclass(slots=True)
class Position:
    size: int  # signed: long > 0, short < 0
    entry: int  # average entry price
    leverage: int


@dataclass(slots=True)
class MarginAccount:
    collateral: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    realised: int = 0  # Σ realised PnL, funding excluded
    funding: int = 0  # Σ funding received - paid
    below_since: int | None = None  # end-block height it was first seen below maintenance


def pnl(size: int, entry: int, price: int) -> int:
    """Unrealised PnL of `size` at `price`, rounded down (the protocol's favour)."""
    return size * (price - entry) // PRICE_SCALE


def notional(size: int, price: int) -> int:
    return abs(size) * price // PRICE_SCALE


def pro_rata(amount: int, claims: Sequence[tuple[int, int]]) -> list[int]:
    """Split `amount` over (weight, cap) claims in proportion to the weights, to the unit.

    Each share is amount·weight / Σ weight rounded down; the units left (fewer than the
    claims) go one each to the largest fractional parts, ties to the earlier claim. A share at
    or above its cap is held at the cap and the excess spread over the others the same way.
    The shares sum to `amount`, or to Σ caps when that is less; a claim without weight or cap
    gets nothing.
    """
    shares = [0] * len(claims)
    live = [i for i, (weight, cap) in enumerate(claims) if weight > 0 and cap > 0]
    left = amount
    while live and left > 0:
        total = sum(claims[i][0] for i in live)
        capped = {i for i in live if left * claims[i][0] >= claims[i][1] * total}
        if capped:  # Σ caps here <= left · Σ their weights / total <= left
            for i in capped:
                shares[i] = claims[i][1]
                left -= claims[i][1]
            live = [i for i in live if i not in capped]
            continue
        parts = [divmod(left * claims[i][0], total) for i in live]
        for i, (share, _) in zip(live, parts, strict=True):
            shares[i] = share  # below the cap, and so is share + 1
        rest = left - sum(share for share, _ in parts)
        ranked = sorted(range(len(live)), key=lambda k: (-parts[k][1], live[k]))
        for k in ranked[:rest]:
            shares[live[k]] += 1
        left = 0
    return shares


class MarginBook:
    """Accounts, the house, the insurance fund and the reads over them."""

    def __init__(self, params: DeltaParams, chain: Chain, oracle: Oracle) -> None:
        self.params = params
        self.chain = chain
        self.vulns = chain.vulns
        self.oracle = oracle
        self.markets: dict[str, str] = dict(params.markets)  # market -> oracle pair
        self.accounts: dict[str, MarginAccount] = {}
        self.house = MarginAccount(collateral=params.house_collateral)
        self.insurance = params.insurance_genesis
        self.deficit = 0  # Σ deficits the insurance fund did not cover
        self.haircuts = 0  # Σ auto-deleveraging haircuts
        self.height = 0
        self.funding_events: deque[FundingEvent] = deque(maxlen=params.history_kept)
        self.liquidations: deque[dict[str, JsonValue]] = deque(maxlen=params.history_kept)
        self.broken: dict[str, str] = {}

    @property
    def ledger(self) -> Ledger:
        return self.chain.ledger

    def held(self) -> int:
        """What the perps module account holds on the ledger: the most it can pay out."""
        return self.ledger.modules.get(PERPS_ACCOUNT, {}).get(self.params.collateral_denom, 0)

    def feed(self, market: str) -> Feed:
        pair = self.markets.get(market)
        if pair is None:
            raise Rejected(
                "not_found",
                f"no perps market {market!r}; one of {sorted(self.markets)}",
                {"market": market},
            )
        return self.oracle.feeds[pair]

    def mark(self, market: str) -> int:
        return self.feed(market).mark

    def unrealised(self, account: MarginAccount) -> int:
        return sum(pnl(p.size, p.entry, self.mark(m)) for m, p in account.positions.items())

    def equity(self, account: MarginAccount) -> int:
        return account.collateral + self.unrealised(account)

    def maintenance(self, account: MarginAccount) -> int:
        bps = self.params.maintenance_margin_bps
        return sum(
            -(-notional(p.size, self.mark(m)) * bps // BPS) for m, p in account.positions.items()
        )

    def initial(self, account: MarginAccount) -> int:
        """Notional / leverage per position, rounded up (leverage <= 10 means >= 10 %)."""
        return sum(
            -(-notional(p.size, self.mark(m)) // p.leverage) for m, p in account.positions.items()
        )

    def liquidatable(self, account: MarginAccount) -> bool:
        return bool(account.positions) and self.equity(account) < self.maintenance(account)

    def withdrawable(self, account: MarginAccount) -> int:
        """Collateral free of the initial margin; unrealised profit does not count."""
        equity = self.equity(account)
        if self.vulns.on("oracle_spot_unguarded"):
            return equity - self.initial(account)  # unrealised PnL withdrawable
        return min(account.collateral, equity) - self.initial(account)

    def open_interest(self, market: str) -> tuple[int, int]:
        """(Σ long size, Σ short size) over traders and the house."""
        long = short = 0
        for account in (*self.accounts.values(), self.house):
            position = account.positions.get(market)
            if position is not None:
                if position.size > 0:
                    long += position.size
                else:
                    short -= position.size
        return long, short

    def trade(
        self,
        account: MarginAccount,
        market: str,
        delta: int,
        price: int,
        leverage: int,
        mirror: bool = False,
    ) -> int:
        """Apply a signed size change at `price`; return the realised PnL (to collateral).

        The house (mirror=True) keeps no entry of its own: its PnL is minus the trader's,
        which the trader's leg books on the house, so the two always sum to zero exactly.
        """
        position = account.positions.get(market)
        if mirror:
            held = 0 if position is None else position.size
            if held + delta == 0:
                account.positions.pop(market, None)
            else:
                account.positions[market] = Position(held + delta, price, leverage)
            return 0
        if position is None or position.size == 0:
            account.positions[market] = Position(delta, price, leverage)
            return 0
        held = position.size
        if (held > 0) == (delta > 0):  # increase: average entry, rounded against the trader
            total = held + delta
            num = abs(held) * position.entry + abs(delta) * price
            entry = -(-num // abs(total)) if total > 0 else num // abs(total)
            account.positions[market] = Position(total, entry, leverage)
            return 0
        closed = min(abs(delta), abs(held)) * (1 if held > 0 else -1)
        realised = pnl(closed, position.entry, price)
        rest = held + delta
        if rest == 0:
            del account.positions[market]
        elif (rest > 0) == (held > 0):
            account.positions[market] = Position(rest, position.entry, position.leverage)
        else:  # flipped: the remainder opens at the price
            account.positions[market] = Position(rest, price, leverage)
        realised = self._pay(account, realised)
        account.collateral += realised
        account.realised += realised
        return realised

    def draw_insurance(self, amount: int) -> int:
        """Take up to `amount` from the insurance fund; return what it gave."""
        covered = min(max(amount, 0), max(self.insurance, 0))
        self.insurance -= covered
        return covered

    def _pay(self, account: MarginAccount, realised: int) -> int:
        """The house pays `account`'s `realised` PnL (takes it, when a loss); return what the
        account gets: a profit less the part nobody can pay (ADL).

        The house pays from its collateral, the insurance fund tops it up, and what is still
        missing is auto-deleveraged from everyone in profit, `account` counted with the profit
        it realises: the others' haircuts go to the house, which has paid out all it held, so
        it never pays out collateral it does not hold (nor gives a haircut on top).
        `no_insurance_no_adl` lets the house pay it all, into a negative balance.
        """
        held = self.house.collateral
        self.house.collateral -= realised
        if realised <= 0 or self.vulns.on("no_insurance_no_adl"):
            return realised
        short = realised - max(held, 0)
        if short <= 0:
            return realised
        covered = self.draw_insurance(short)
        self.house.collateral += covered
        short -= covered
        if short == 0:
            return realised
        taken, cut = self.deleverage(short, account, realised)
        self.house.collateral += taken  # the others' haircuts, and the part `account` forgoes
        return realised - cut

    def deleverage(
        self,
        amount: int,
        closing: MarginAccount | None = None,
        realising: int = 0,
        house_realised: int = 0,
    ) -> tuple[int, int]:
        """Auto-deleverage `amount` nobody holds: (Σ haircuts, the part cut from `realising`).

        Every account in profit at the mark gives its `pro_rata` share, in address order, the
        house last: at most its profit and the collateral it holds. The house's profit is its
        book's (the traders' loss at the mark) plus `house_realised`, what it just booked from
        a bankrupt account's close, a loss that account could not pay in full. `closing`,
        which realises `realising` now (not yet in its collateral), claims that profit too and
        gives from it first. The haircuts come off collateral (but the part from `realising`);
        the caller credits them to whoever is short. `deficit` records `amount`, `haircuts`
        what was taken: the rest is uncovered.
        """
        payers: list[MarginAccount] = []
        claims: list[tuple[int, int]] = []
        traders = 0
        for _, account in sorted(self.accounts.items()):
            gain = self.unrealised(account) if account.positions else 0
            traders += gain
            gain = max(gain, 0)
            cap = min(gain, max(account.collateral, 0))
            if account is closing:
                gain, cap = gain + realising, cap + realising
            if gain > 0:
                payers.append(account)
                claims.append((gain, cap))
        house = max(-traders, 0) + house_realised
        if house > 0:
            payers.append(self.house)
            claims.append((house, min(house, max(self.house.collateral, 0))))
        cuts = pro_rata(amount, claims)
        from_profit = 0
        for account, cut in zip(payers, cuts, strict=True):
            if account is closing:
                from_profit = min(cut, realising)
                cut -= from_profit
            account.collateral -= cut
        taken = sum(cuts)
        self.deficit += amount
        self.haircuts += taken
        return taken, from_profit

    def cover_house(self) -> None:
        """A house left below zero (it paid funding it did not hold): the insurance fund, then
        auto-deleveraging, make it whole; what nobody in profit can give stays its debt."""
        if self.house.collateral >= 0 or self.vulns.on("no_insurance_no_adl"):
            return
        self.house.collateral += self.draw_insurance(-self.house.collateral)
        if self.house.collateral < 0:
            taken, _ = self.deleverage(-self.house.collateral)
            self.house.collateral += taken

    def close_at(self, account: MarginAccount, market: str, price: int) -> int:
        """Close `account`'s whole position on `market` at `price`, the house mirroring it;
        return the realised PnL."""
        position = account.positions[market]
        size = position.size
        realised = self.trade(account, market, -size, price, position.leverage)
        self.trade(self.house, market, size, price, self.params.max_leverage, mirror=True)
        return realised


def account_state(account: MarginAccount) -> dict[str, JsonValue]:
    positions: dict[str, JsonValue] = {
        m: [str(p.size), str(p.entry), p.leverage] for m, p in sorted(account.positions.items())
    }
    return {
        "collateral": str(account.collateral),
        "positions": positions,
        "realised": str(account.realised),
        "funding": str(account.funding),
        "below_since": account.below_since,
    }


def account_from(wire: Any) -> MarginAccount:
    return MarginAccount(
        int(wire["collateral"]),
        {
            str(m): Position(int(s), int(e), int(lev))
            for m, (s, e, lev) in wire["positions"].items()
        },
        int(wire["realised"]),
        int(wire["funding"]),
        None if wire["below_since"] is None else int(wire["below_since"]),
    )
