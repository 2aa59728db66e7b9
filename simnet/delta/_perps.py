"""Delta's perpetual futures: cross-margin accounts in DX, a house counterparty, funding,
liquidations, an insurance fund and auto-deleveraging.

Every trade executes at the market's mark (the oracle's 10-block TWAP) against the house, a
protocol account funded at genesis that holds the opposite of all traders' positions, so long
and short open interest are equal by construction and every PnL is zero-sum. An account's
equity is collateral plus unrealised PnL at the mark; it needs `initial_margin_bps` of its
notional (or notional / leverage when the order asked for less) to open or withdraw and
`maintenance_margin_bps` to stay open. PnL and funding round down for traders (Python's
floor), so dust always stays with the protocol.

Funding every `funding_every_blocks`: rate = clamp((mark - index) / index, ±0.05 %); longs pay
shorts when positive (the house takes the other side of the net). Payers round up, receivers
down, the dust goes to the insurance fund. Liquidation closes every position of an account at
the mark; 1 % of the closed notional is the fee (half to the keeper who sent
`perps.liquidate`, the rest to the insurance fund). A negative balance after that is a
deficit: the insurance fund covers it, and what it cannot cover is auto-deleveraged from the
accounts in profit, pro rata. Accounts still below maintenance one block after they fell are
liquidated by the protocol in end-block, at most `max_liquidations_per_block` per block.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from botruntime.chain.tx import JsonValue, Msg, decode_amount
from botruntime.identity import AddressError, parse_address
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._ledger import Ledger
from simnet._module import Check, Module
from simnet.delta._oracle import Feed, Oracle
from simnet.delta._params import BPS, PPM, PRICE_SCALE, DeltaParams

if TYPE_CHECKING:
    from simnet._chain import Chain

__all__ = ["HOUSE", "PERPS_ACCOUNT", "FundingEvent", "MarginAccount", "Perps", "Position"]

PERPS_ACCOUNT: Final = "perps"
HOUSE: Final = "house"
_SIDES: Final = {"long": 1, "short": -1}


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


@dataclass(frozen=True, slots=True)
class FundingEvent:
    height: int
    market: str
    rate_ppm: int
    mark: int
    index: int
    paid: int  # Σ charged to payers (rounded up)
    received: int  # Σ credited to receivers (rounded down)
    dust: int  # to the insurance fund

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "height": self.height,
            "market": self.market,
            "rate_ppm": self.rate_ppm,
            "mark": str(self.mark),
            "index": str(self.index),
            "paid": str(self.paid),
            "received": str(self.received),
            "dust": str(self.dust),
        }


def pnl(size: int, entry: int, price: int) -> int:
    """Unrealised PnL of `size` at `price`, rounded down (the protocol's favour)."""
    return size * (price - entry) // PRICE_SCALE


def notional(size: int, price: int) -> int:
    return abs(size) * price // PRICE_SCALE


class Perps(Module):
    name = "perps"
    msg_types = frozenset(
        {
            "perps.deposit",
            "perps.withdraw",
            "perps.add_margin",
            "perps.open",
            "perps.close",
            "perps.liquidate",
        }
    )

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
        chain.ledger.mint_module(
            PERPS_ACCOUNT, params.collateral_denom, params.house_collateral + self.insurance
        )

    @property
    def ledger(self) -> Ledger:
        return self.chain.ledger

    # ---- reads ---------------------------------------------------------------------------------

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

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        kind = msg["type"]
        if kind in ("perps.open", "perps.close", "perps.add_margin"):
            self.feed(str(msg["market"]))
        if kind == "perps.open" and str(msg["side"]) not in _SIDES:
            raise Rejected("malformed", "body.msgs[0].side is 'long' or 'short'")
        if kind == "perps.liquidate":
            self._liquidation_target(str(msg["account"]))

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        sender, kind = entry.sender, msg["type"]
        if kind == "perps.deposit":
            self._deposit(sender, decode_amount(msg["amount"]), reserved)
        elif kind == "perps.add_margin":
            account = self.accounts.get(sender)
            market = str(msg["market"])
            self.feed(market)
            if account is None or market not in account.positions:
                raise Rejected(
                    "malformed",
                    f"{sender} has no position on {market}; deposit with perps.deposit",
                    {"market": market},
                )
            self._deposit(sender, decode_amount(msg["amount"]), reserved)
        elif kind == "perps.withdraw":
            self._withdraw(sender, decode_amount(msg["amount"]))
        elif kind == "perps.open":
            self._open(sender, msg)
        elif kind == "perps.close":
            self._close(sender, str(msg["market"]))
        else:
            target = self._liquidation_target(str(msg["account"]))
            account = self.accounts.get(target)
            if account is None or not self.liquidatable(account):
                raise Rejected(
                    "not_liquidatable",
                    f"{target} is at or above maintenance margin (or has no position)",
                    {"account": target},
                )
            self.liquidate(target, keeper=sender)

    def _liquidation_target(self, address: str) -> str:
        try:
            parse_address(address, self.chain.spec.hrp)
        except AddressError as exc:
            raise Rejected(
                "invalid_address", f"body.msgs[0].account is not a Delta address: {exc}"
            ) from None
        return address

    def _deposit(self, sender: str, amount: int, reserved: int) -> None:
        denom = self.params.collateral_denom
        spendable = self.ledger.balance(sender, denom) - (
            reserved if denom == self.chain.spec.native else 0
        )
        if amount == 0 or amount > spendable:
            raise Rejected(
                "insufficient_funds",
                f"{sender} may deposit 1 .. {max(spendable, 0)} {denom} besides the fee, "
                f"not {amount}",
                {"denom": denom, "available": str(max(spendable, 0))},
            )
        self.ledger.add(sender, denom, -amount)
        self.ledger.add_module(PERPS_ACCOUNT, denom, amount)
        self.accounts.setdefault(sender, MarginAccount()).collateral += amount

    def withdrawable(self, account: MarginAccount) -> int:
        """Collateral free of the initial margin; unrealised profit does not count."""
        equity = self.equity(account)
        if self.vulns.on("oracle_spot_unguarded"):
            return equity - self.initial(account)  # unrealised PnL withdrawable
        return min(account.collateral, equity) - self.initial(account)

    def _withdraw(self, sender: str, amount: int) -> None:
        account = self.accounts.get(sender, MarginAccount())
        free = self.withdrawable(account)
        if self.vulns.on("withdraw_unchecked"):
            free = account.collateral
        if amount == 0 or amount > free:
            raise Rejected(
                "margin_insufficient",
                f"{sender} may withdraw up to {max(free, 0)} DX and keep its initial margin; "
                f"asked {amount} (> 0)",
                {"withdrawable": str(max(free, 0))},
            )
        account.collateral -= amount
        denom = self.params.collateral_denom
        self.ledger.add_module(PERPS_ACCOUNT, denom, -amount)
        self.ledger.add(sender, denom, amount)

    def _tradable(self, market: str, opening: bool) -> Feed:
        feed = self.feed(market)
        if feed.stale:
            age = self.oracle.age(feed)
            raise Rejected(
                "oracle_stale",
                f"{market}: the oracle price is {age} blocks old (limit "
                f"{self.params.max_age_blocks}); wait for the feeders",
                {"market": market, "age": age},
            )
        if opening and feed.deviation_halt:
            raise Rejected(
                "market_halted",
                f"{market} is halted: its price moved {feed.move_bps} bps in one block "
                f"(limit {self.params.max_move_bps}); reduce-only orders still execute",
                {"market": market},
            )
        return feed

    def _open(self, sender: str, msg: Msg) -> None:
        market, side = str(msg["market"]), str(msg["side"])
        size, limit = decode_amount(msg["size"]), decode_amount(msg["limit_price"])
        leverage, reduce_only = int(str(msg["leverage"])), bool(msg["reduce_only"])
        if side not in _SIDES:
            raise Rejected("malformed", "body.msgs[0].side is 'long' or 'short'")
        if size == 0:
            raise Rejected("invalid_amount", "body.msgs[0].size is above 0")
        if not 1 <= leverage <= self.params.max_leverage:
            raise Rejected(
                "margin_insufficient",
                f"leverage is 1 .. {self.params.max_leverage}, got {leverage}",
                {"max_leverage": self.params.max_leverage},
            )
        account = self.accounts.get(sender)
        current = None if account is None else account.positions.get(market)
        delta = size * _SIDES[side]
        held = 0 if current is None else current.size
        reducing = held != 0 and (held > 0) != (delta > 0) and size <= abs(held)
        if reduce_only and not reducing:
            raise Rejected(
                "reduce_only_violation",
                f"{sender} holds {held} on {market}; a reduce-only {side} of {size} would "
                "open or flip a position",
                {"position": str(held)},
            )
        feed = self._tradable(market, opening=not reducing)
        price = feed.mark
        if limit and (price > limit if delta > 0 else price < limit):
            raise Rejected(
                "slippage_exceeded",
                f"the mark {price} is beyond limit_price {limit} for a {side}",
                {"mark": str(price), "limit_price": str(limit)},
            )
        if account is None:
            raise Rejected("margin_insufficient", f"{sender} has no margin; perps.deposit first")
        saved = (account.collateral, account.realised, dict(account.positions))
        house_collateral = self.house.collateral
        self._trade(account, market, delta, price, leverage)
        equity, needed = self.equity(account), self.initial(account)
        if not reducing and equity < needed:
            account.collateral, account.realised, account.positions = saved
            self.house.collateral = house_collateral
            raise Rejected(
                "margin_insufficient",
                f"{sender} would hold equity {equity} DX against an initial margin of {needed} "
                f"(notional / {leverage}x; at most {self.params.max_leverage}x): deposit more",
                {"equity": str(equity), "initial_margin": str(needed)},
            )
        self._trade(self.house, market, -delta, price, self.params.max_leverage, mirror=True)

    def _close(self, sender: str, market: str) -> None:
        account = self.accounts.get(sender)
        position = None if account is None else account.positions.get(market)
        if account is None or position is None:
            raise Rejected("malformed", f"{sender} has no position on {market} to close")
        price = self._tradable(market, opening=False).mark
        size = position.size
        self._trade(account, market, -size, price, position.leverage)
        self._trade(self.house, market, size, price, self.params.max_leverage, mirror=True)

    def _trade(
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
        which `_realise_house` books, so the two always sum to zero exactly.
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

    # ---- liquidation ---------------------------------------------------------------------------

    def liquidate(self, address: str, keeper: str | None) -> None:
        """Close every position of `address` at the mark; fee, then deficit cover and ADL."""
        account = self.accounts[address]
        closed = 0
        for market, position in list(account.positions.items()):
            price = self.mark(market)
            closed += notional(position.size, price)
            size = position.size
            self._trade(account, market, -size, price, position.leverage)
            self._trade(self.house, market, size, price, self.params.max_leverage, mirror=True)
        fee = closed * self.params.liquidation_fee_bps // BPS
        taken = min(fee, max(account.collateral, 0))
        account.collateral -= taken
        to_keeper = taken // 2 if keeper is not None else 0
        self.insurance += taken - to_keeper
        if to_keeper:
            denom = self.params.collateral_denom
            self.ledger.add_module(PERPS_ACCOUNT, denom, -to_keeper)
            self.ledger.add(keeper, denom, to_keeper)  # type: ignore[arg-type]
        deficit = max(-account.collateral, 0)
        covered = haircut = 0
        if deficit and not self.vulns.on("no_insurance_no_adl"):
            account.collateral = 0
            covered = min(deficit, self.insurance)
            self.insurance -= covered
            uncovered = deficit - covered
            if uncovered:
                self.deficit += uncovered
                haircut = self._deleverage(uncovered)
                self.haircuts += haircut
        elif deficit:
            account.collateral = 0  # written off: nobody covers it
            self.deficit += deficit
        account.below_since = None
        self.liquidations.append(
            {
                "height": self.height,
                "account": address,
                "keeper": keeper,
                "notional": str(closed),
                "fee": str(taken),
                "keeper_fee": str(to_keeper),
                "deficit": str(deficit),
                "insurance_cover": str(covered),
                "adl_haircut": str(haircut),
            }
        )

    def _deleverage(self, amount: int) -> int:
        """Take `amount` from the accounts in profit, pro rata to their profit; exact sum."""
        profits: list[tuple[int, str]] = []
        for address, account in sorted(self.accounts.items()):
            gain = self.unrealised(account)
            if gain > 0 and account.positions:
                profits.append((gain, address))
        house_gain = -sum(self.unrealised(a) for a in self.accounts.values())
        if house_gain > 0:
            profits.append((house_gain, HOUSE))
        if not profits:
            self.house.collateral -= amount  # nobody in profit: the house absorbs it
            return amount
        total = sum(g for g, _ in profits)
        cuts = [(amount * g // total, a) for g, a in profits]
        rest = amount - sum(c for c, _ in cuts)
        taken = 0
        for i, (cut, address) in enumerate(cuts):
            cut += 1 if i < rest else 0
            target = self.house if address == HOUSE else self.accounts[address]
            target.collateral -= cut
            taken += cut
        return taken

    # ---- blocks --------------------------------------------------------------------------------

    def begin_block(self, height: int) -> None:
        self.height = height

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        """After the oracle's end-block: funding, then protocol liquidations."""
        if height % self.params.funding_every_blocks == 0:
            for market in self.markets:
                self._funding(market, height)
        cap = self.params.max_liquidations_per_block
        if self.vulns.on("liquidation_throttle"):
            cap = 1
        due: list[tuple[int, str]] = []
        for address, account in self.accounts.items():
            if not account.positions or self._stale(account):
                continue
            if self.liquidatable(account):
                if account.below_since is None:
                    account.below_since = height  # keepers get the first block
                elif account.below_since < height:
                    due.append((account.below_since, address))
            else:
                account.below_since = None
        for _, address in sorted(due)[:cap]:
            self.liquidate(address, keeper=None)

    def _stale(self, account: MarginAccount) -> bool:
        return any(self.feed(m).stale for m in account.positions)

    def _funding(self, market: str, height: int) -> None:
        feed = self.feed(market)
        if feed.stale:
            return
        index, mark = feed.price, feed.mark
        clamp = self.params.funding_clamp_ppm
        rate = max(-clamp, min(clamp, (mark - index) * PPM // index))
        if rate == 0:
            return
        paid = received = 0
        one_sided = self.vulns.on("funding_one_sided")
        for account in (*self.accounts.values(), self.house):
            position = account.positions.get(market)
            if position is None:
                continue
            owed = position.size * mark * rate  # > 0: this account pays
            scale = PRICE_SCALE * PPM
            if owed > 0:
                amount = -(-owed // scale)
                account.collateral -= amount
                account.funding -= amount
                paid += amount
            else:
                amount = 0 if one_sided else -owed // scale
                account.collateral += amount
                account.funding += amount
                received += amount
        dust = paid - received if not one_sided else 0
        self.insurance += dust
        event = FundingEvent(height, market, rate, mark, index, paid, received, dust)
        self.funding_events.append(event)
        if paid != received + dust:
            self.broken.setdefault(
                "perps/funding-zero-sum",
                f"height {height} {market}: paid {paid}, received {received}, dust {dust}",
            )

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {
            "perps/margin-accounting": self._margin_accounting,
            "perps/open-interest": self._open_interest,
            "perps/funding-zero-sum": lambda: self.broken.get("perps/funding-zero-sum"),
            "perps/liquidation-lag": self._liquidation_lag,
            "perps/insurance-nonnegative": self._insurance,
            "perps/deficit-accounted": self._deficit,
        }

    def _margin_accounting(self) -> str | None:
        held = self.ledger.modules.get(PERPS_ACCOUNT, {}).get(self.params.collateral_denom, 0)
        owed = sum(a.collateral for a in self.accounts.values())
        owed += self.house.collateral + self.insurance
        if held != owed:
            return f"perps holds {held} DX; collateral + house + insurance is {owed}"
        return None

    def _open_interest(self) -> str | None:
        for market in self.markets:
            long, short = self.open_interest(market)
            if long != short:
                return f"{market}: long {long} != short {short}"
        return None

    def _liquidation_lag(self) -> str | None:
        limit = self.params.liquidation_lag_blocks
        for address, account in self.accounts.items():
            since = account.below_since
            if since is not None and self.height - since > limit:
                return f"{address} below maintenance since height {since}"
        return None

    def _insurance(self) -> str | None:
        return None if self.insurance >= 0 else f"insurance fund at {self.insurance}"

    def _deficit(self) -> str | None:
        if self.deficit != self.haircuts:
            return f"uncovered deficit {self.deficit} != Σ ADL haircuts {self.haircuts}"
        return None

    def to_wire(self) -> JsonValue:
        return {
            "height": self.height,
            "insurance": str(self.insurance),
            "deficit": str(self.deficit),
            "haircuts": str(self.haircuts),
            "broken": dict(sorted(self.broken.items())),
            "house": _account_state(self.house),
            "accounts": {a: _account_state(x) for a, x in sorted(self.accounts.items())},
            "funding_events": [e.to_wire() for e in self.funding_events],
            "liquidations": list(self.liquidations),
        }

    def load_wire(self, wire: JsonValue) -> None:
        data: Any = wire  # what to_wire wrote
        self.height = int(data["height"])
        self.insurance, self.deficit = int(data["insurance"]), int(data["deficit"])
        self.haircuts = int(data["haircuts"])
        self.broken = {str(k): str(v) for k, v in data["broken"].items()}
        self.house = _account_from(data["house"])
        self.accounts = {str(a): _account_from(w) for a, w in data["accounts"].items()}
        self.funding_events.clear()
        for e in data["funding_events"]:
            self.funding_events.append(
                FundingEvent(
                    int(e["height"]),
                    str(e["market"]),
                    int(e["rate_ppm"]),
                    *(int(e[k]) for k in ("mark", "index", "paid", "received", "dust")),
                )
            )
        self.liquidations.clear()
        self.liquidations.extend(data["liquidations"])


def _account_state(account: MarginAccount) -> dict[str, JsonValue]:
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


def _account_from(wire: Any) -> MarginAccount:
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
