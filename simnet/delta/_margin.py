"""The perps book: cross-margin accounts in DX, the house, and what an account is worth.

Every trade executes against the house, a protocol account funded at genesis that holds the
opposite of all traders' positions, so long and short open interest are equal by construction
and every PnL is zero-sum. An account's equity is collateral plus unrealised PnL at the
market's mark (the oracle's 10-block TWAP); it needs `initial_margin_bps` of its notional (or
notional / leverage when the order asked for less) to open or withdraw and
`maintenance_margin_bps` to stay open. PnL rounds down for traders (Python's floor), so dust
always stays with the protocol. The house pays a realised profit from its collateral, then
the insurance fund; what neither holds is cut from the profit (auto-deleveraging), and no
withdrawal takes more than the module account holds, whatever the price does between blocks.

`MarginBook` is the state every part of perps shares (trading, funding, liquidation) and the
one primitive that moves a position, `trade`; `simnet.delta._perps` is the chain module.
"""

from __future__ import annotations

from collections import deque
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
        realised -= self._unpayable(realised)
        account.collateral += realised
        account.realised += realised
        self.house.collateral -= realised
        rest = held + delta
        if rest == 0:
            del account.positions[market]
        elif (rest > 0) == (held > 0):
            account.positions[market] = Position(rest, position.entry, position.leverage)
        else:  # flipped: the remainder opens at the price
            account.positions[market] = Position(rest, price, leverage)
        return realised

    def draw_insurance(self, amount: int) -> int:
        """Take up to `amount` from the insurance fund; return what it gave."""
        covered = min(max(amount, 0), max(self.insurance, 0))
        self.insurance -= covered
        return covered

    def _unpayable(self, profit: int) -> int:
        """The part of a trader's realised `profit` nobody can pay, cut from it (ADL).

        The house pays from its collateral, the insurance fund tops it up, and what is still
        missing is auto-deleveraged from the profit being realised (counted in `deficit` and
        `haircuts` alike), so the house never pays out collateral it does not hold.
        `no_insurance_no_adl` lets the house pay it all, into a negative balance.
        """
        if profit <= 0 or self.vulns.on("no_insurance_no_adl"):
            return 0
        short = profit - max(self.house.collateral, 0)
        if short <= 0:
            return 0
        covered = self.draw_insurance(short)
        self.house.collateral += covered
        cut = short - covered
        self.deficit += cut
        self.haircuts += cut
        return cut

    def close_at(self, account: MarginAccount, market: str, price: int) -> None:
        """Close `account`'s whole position on `market` at `price`, the house mirroring it."""
        position = account.positions[market]
        size = position.size
        self.trade(account, market, -size, price, position.leverage)
        self.trade(self.house, market, size, price, self.params.max_leverage, mirror=True)


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
